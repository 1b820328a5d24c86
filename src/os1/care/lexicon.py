"""The crisis lexicon: high-risk phrases per category, and the context rules that cancel them.

Patterns run on text from ``os1.care.text.normalise`` (lowercase, contractions expanded, no punctuation,
clauses joined by `` . ``), so ``[^.]`` never crosses a clause. Weights: 1.0 is an unambiguous statement of
risk; lower weights are indirect signs that only count together (combined as a noisy-or) or with the
embedding score. Pure data and pure functions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SUICIDE = "suicidal_ideation"
SELF_HARM = "self_harm"
HARM_OTHERS = "harm_to_others"
CATEGORIES = (SUICIDE, SELF_HARM, HARM_OTHERS)

_PEOPLE = (
    r"(?:(?:my|his|her|their|your|our|that|this) (?:\w+ )?(?:dad|father|mom|mum|mother|stepdad|stepmom|stepfather|"
    r"stepmother|brother|sister|boss|ex|wife|husband|girlfriend|boyfriend|partner|roommate|flatmate|neighbour|"
    r"neighbor|teacher|coworker|colleague|son|daughter|baby|kid|kids|child|children|family|classmates?|friend)"
    r"|the next (?:person|guy|girl|one)|him|her(?! (?:ankle|knee|back|arm|leg|foot|head|hand|wrist|shoulder|neck|feelings|chances|toe|finger|hip|way))"
    r"|the (?:guy|man|woman|girl|boy|kid|person|people|guys|girls)s? who"
    r"|them|you|someone|somebody|anyone|anybody|people|everyone|everybody|the (?:kids|people|guys|girls) who)"
)
_ME_OR_THEM = r"(?:myself|himself|herself|themselves|themself)"
_PILLS = (r"(?:pills?|meds|medication|medicine|tablets?|painkillers|antidepressants|sleeping pills|insulin|paracetamol|"
          r"tylenol|ibuprofen|aspirin)")
_HIGH = r"(?:bridge|roof|building|balcony|cliff|window|ledge|parking garage|overpass|car park)"
_BODY = r"(?:arms?|wrists?|legs|thighs?|skin|stomach|body|hips?)"


@dataclass(frozen=True)
class Rule:
    name: str
    category: str
    weight: float
    pattern: re.Pattern[str]
    negatable: bool = True  # "i would never ..." cancels it
    unless: re.Pattern[str] | None = None  # an idiom or harmless use, checked on the whole message


_ACCIDENT = (r"\bby accident\b|\baccidentally\b|\bshav(?:e|ed|ing)\b|\bchopping\b|\bslicing\b|\bmyself a\b"
             r"|\bon (?:the|a|my|some) (?:piece of |bit of )?(?:\w+ )?(?:oven|stove|pan|kettle|iron|tray|grill|straightener|"
             r"shell|glass|knife|nail)\b|\bwhile (?:washing|cooking|chopping|cleaning|gardening|shaving|fixing|opening|working)"
             r"|\bat the gym\b|\blifting\b|\bdeadlifts?\b|\bplaying\b")


def _r(name: str, category: str, weight: float, pattern: str, *, negatable: bool = True, unless: str = "") -> Rule:
    return Rule(name, category, weight, re.compile(pattern), negatable, re.compile(unless) if unless else None)


RULES: tuple[Rule, ...] = (
    # --- suicidal ideation ---------------------------------------------------------------------------
    _r("kill_self", SUICIDE, 1.0, r"\b(?:kill|killing|end|ending|hang|hanging|shoot|shooting) " + _ME_OR_THEM + r"\b",
       unless=r"\bkill(?:ing)? myself (?:trying|to (?:get|finish|make|meet)|laughing|working)"),
    _r("suicide_word", SUICIDE, 1.0, r"\bsuicid(?:e|al)\b",
       unless=r"\bsuicide (?:prevention|squad|hotline|helpline|lifeline|rates?|awareness|statistics|blonde)\b"),
    _r("want_to_die", SUICIDE, 1.0,
       r"\b(?:want|wants|wanted|wanting|wish|wishes|wishing|ready|deserve|deserves|going|need|long|trying|hope) to die\b",
       unless=r"\bto die (?:of|from) (?:embarrassment|shame|laughter|laughing|cringe|boredom|happiness|cuteness)"
              r"|\bto die (?:old|young|happy|laughing|on this hill)\b|\bat peace\b|\bwhen i am (?:old|\d{2,3})\b"
              r"|\b(?:8\d|9\d|100)\b|\bwanted to die when\b[^.]*\blol\b"),
    _r("wish_dead", SUICIDE, 1.0, r"\bwish(?:ed)? i (?:was|were|had) (?:dead|never been born|never born|not born|not alive)"
       r"|\bwish i (?:was|were|had been) never born|\bbetter off dead\b|\beasier to (?:just )?die\b"
       r"|\b(?:rather|prefer to) (?:just )?(?:die|be dead) than (?:deal|live|go on|face|keep|feel)\b"),
    _r("not_deserve_live", SUICIDE, 1.0, r"\bnot deserve to (?:live|be alive|exist)\b", negatable=False),
    _r("better_without_me", SUICIDE, 1.0,
       r"\b(?:better|happier|easier|lighter) (?:off )?without (?:me|him|her|them|(?:a|an|someone) (?:\w+ )?like me)\b"
       r"|\bbetter off (?:if i|when i)\b|\bbetter off with (?:the |my )?(?:life )?insurance"),
    _r("not_want_live", SUICIDE, 1.0,
       r"\b(?:not|no longer|never) (?:want|wanna|wish|sure if i want|sure i want) to (?:live|be alive|exist|go on|"
       r"keep going|keep living|wake up|be here (?:anymore|any more|any longer))\b"
       r"|\bnot want to be around(?: anymore| any more| any longer)?(?: \.|$)"
       r"|\bnot sure (?:if )?i (?:want|can) to (?:live|be alive|go on|keep going)"
       r"|\b(?:want|wish|like) to (?:just )?not (?:exist|be alive|be here|wake up)\b|\bnot exist anymore\b"
       r"|\b(?:pray|hope|wish) (?:that )?i (?:will not|do not|never|would not) wake up\b"
       r"|\b(?:thought|idea) of not (?:waking up|being here|existing|being alive)\b"
       r"|\bwhy am i (?:even |still )?(?:alive|living)\b|\b(?:energy|strength|will) to (?:keep living|go on living|stay alive)\b",
       negatable=False, unless=r"\bwake up (?:early|at|so early|before)\b"),
    _r("end_life", SUICIDE, 1.0, r"\b(?:end|ending|take|taking) (?:my|his|her|their) (?:own )?life\b|\bend(?:ing)? it all\b"
       r"|\b(?:want|need) (?:everything|it all|all of this|my life) to (?:end|be over|stop)\b|\bout of this life\b"),
    _r("ending_things", SUICIDE, 0.8, r"\bend(?:ing)? (?:things|everything)\b(?! with)",
       unless=r"\bend(?:ing)? (?:things|everything) with\b"),
    _r("end_it", SUICIDE, 0.6, r"\b(?:want to|going to|just|gonna|planning to|plan to|decided to|ready to) end it\b"
       r"(?! with| there| here| now lol)"),
    _r("tired_of_living", SUICIDE, 0.9,
       r"\b(?:tired|sick) of (?:living|being alive|life|existing|waking up)\b|\bdone with (?:life|living)\b"
       r"|\b(?:had|have had) enough of (?:life|living)\b|\bnot worth (?:living|being alive)\b|\blife is not worth it\b"
       r"|\bstop existing\b|\bnever (?:have )?existed\b"),
    _r("no_point", SUICIDE, 0.9,
       r"\b(?:no|not see the|not see any|not any) (?:point|reason|purpose) (?:in |of |to )?(?:living|life|going on|"
       r"being alive|carrying on|keep going|keeping going|anymore|any more|in anything)\b"
       r"|\bwhat is (?:even )?the point (?:of |in )?(?:living|life|going on|anything|me|it all|of me|being alive)\b"
       r"|\b(?:no|nothing) (?:reason|left) to live for\b|\bno reason to live\b", negatable=False),
    _r("not_around", SUICIDE, 0.9,
       r"\bnot (?:think i will |think i am going to |see myself )?(?:be|going to be|being) (?:around|here) (?:much longer|"
       r"for much longer|for long|anymore|any more|any longer|tomorrow|to )|\bdeal with me (?:much )?(?:longer|anymore)\b"
       r"|\bnot (?:bother|burden|trouble) (?:anyone|anybody|you|them|people) (?:much |for much )?(?:longer|anymore)\b"
       r"|\bif i am (?:gone|not here|not around) (?:tomorrow|soon)\b", negatable=False),
    _r("overdose", SUICIDE, 1.0, r"\b(?:i|i will|going to|want to|tried to|try to|about|thinking about) (?:\w+ )?"
       r"overdos(?:e|ing)\b|\b(?:take|taking|swallow|swallowing) (?:all|every one|every|each) (?:of )?(?:my |the )?"
       + _PILLS + r"|\bswallow everything\b|\b(?:took|taken|swallowed) (?:a bunch of|a lot of|too many|all (?:of )?"
       r"(?:his|her|their|my)|a handful of|loads of) " + _PILLS),
    _r("pills_stock", SUICIDE, 0.9,
       r"\b" + _PILLS + r" (?:saved|stockpiled|hoarded|lined up)|\b(?:saving|saved|stockpiling|stockpiled|hoarding) (?:up )?"
       r"(?:my |the |all my )?" + _PILLS + r"|\benough " + _PILLS + r" to\b|\bcounting (?:my|the) pills\b"
       r"|\b(?:pills|rope|gun|note|letter)s? (?:ready|written|prepared)\b"),
    _r("method_query", SUICIDE, 1.0,
       r"\bhow many " + _PILLS + r"\b[^.]*\b(?:takes|take to|would it take|to die|lethal|kill)\b|\bhow (?:much|many)\b[^.]*\blethal\b|\blethal (?:dose|amount)\b"
       r"|\b(?:painless|least painful|quickest|easiest|best) way to (?:die|go|kill myself|end it)\b"
       r"|\bways to (?:die|kill myself|end it)\b|\bhow (?:high|far|tall|deep|long)\b[^.]*\b(?:to die|to kill (?:myself|me|yourself|you)|fatal)\b|\bpainless (?:methods?|ways?|death)\b|\bmethods (?:to|of) (?:die|dying|suicide)"
       r"|\b(?:take|took|taking|swallow|swallowed) (?:\d{2,}|twenty|thirty|forty|fifty|a hundred|a whole bottle of|the "
       r"whole bottle of|all the) (?:\w+ )?" + _PILLS + r"\b"),
    _r("jump", SUICIDE, 1.0, r"\b(?:jump|jumping|jumped) (?:off|from|in front of) (?:the |a |my )?(?:\w+ )?(?:" + _HIGH
       + r"|train|tracks)\b", unless=r"\binto the (?:sea|water|lake|pool|river|ocean)\b|\bon holiday\b|\bfor fun\b|\bbungee\b"),
    _r("jump_bare", SUICIDE, 0.6, r"\b(?:(?:going to|was going to|want to|about to|almost) jump|(?:thinking|think) about "
       r"jumping)\b(?! (?:in|into|on|over|rope|"
       r"start|the queue|ahead|at|out of bed))"),
    _r("at_the_edge", SUICIDE, 0.8, r"\b(?:standing|sitting) on (?:the |a |my )?(?:bridge|ledge|roof|edge)\b"
       r"|\bon the (?:edge|ledge) of (?:the |a |my )?(?:\w+ )?" + _HIGH
       + r"|\b(?:stare|stared|staring|looked|looking) at the (?:train )?tracks\b|\b(?:tallest|highest) " + _HIGH),
    _r("crash_car", SUICIDE, 0.9, r"\b(?:swerve|swerving|drive|driving|crash|crashing|steer|steering) (?:my car )?(?:into|off) "
       r"(?:a |the )?(?:oncoming |a )?(?:wall|tree|traffic|truck|lake|river|cliff|road|bridge|overpass)\b"
       r"|\b(?:step|stepping|walk|walking|jump) in front of (?:a |the )?(?:train|bus|truck|car)\b"
       r"|\b(?:wish|hope|pray) (?:a |the )?(?:car|bus|truck|train|something) (?:would |will )?(?:just )?(?:hit|kill|run over) me"
       r"|\bhope i (?:get|got) hit by\b|\bturn(?:ing)? the (?:steering )?wheel\b"),
    _r("rope", SUICIDE, 0.9, r"\brope\b[^.]*\b(?:what it is for|for myself|to hang)|\bnoose\b|\baround my neck\b"),
    _r("gun_self", SUICIDE, 1.0, r"\b(?:gun|pistol|rifle|knife)\b[^.]*\b(?:on myself|to my head|my wrists?)\b"
       r"|\b(?:use|using) it on myself\b"),
    _r("last_words", SUICIDE, 0.8, r"\b(?:this is my last (?:message|text|post)|my last words|goodbye (?:forever|everyone|"
       r"world|for good)|goodbye (?:message|note|letter|post|text)|suicide note|the end for me|not know it was goodbye"
       r"|tonight is the night)\b"),
    _r("said_goodbyes", SUICIDE, 0.6, r"\b(?:said|say|saying) (?:my )?goodbyes?\b"),
    _r("goodbye_alone", SUICIDE, 0.4, r"(?:^|\. )goodbye$"),
    _r("letters", SUICIDE, 0.6, r"\b(?:wrote|writing|written|write|left|leave|leaving) (?:letters|a letter|notes|a note) "
       r"(?:to|for|on)|\bnot (?:their|your|anyone) fault\b"),
    _r("giving_away", SUICIDE, 0.7, r"\bgiv(?:e|ing|en) (?:away )?(?:my|all my) (?:stuff|things|belongings|possessions)"),
    _r("burden", SUICIDE, 0.6, r"\b(?:am|feel like|be|being) (?:such )?a burden\b|\bwaste of (?:space|air|oxygen)\b"),
    _r("disappear", SUICIDE, 0.8, r"\bdisappear (?:forever|for good|and never)\b|\b(?:happier|better|easier|lighter|relieved) "
       r"(?:off )?(?:for (?:everyone|everybody|them|my family|all of them) )?(?:if|when|once|without) (?:i )?(?:just )?(?:am |was |were )?"
       r"(?:just )?(?:disappeared|gone|died|dead|not here|never existed|did not exist|me in it)\b"),
    _r("should_disappear", SUICIDE, 0.5, r"\b(?:should|want to|wish i could) (?:just )?disappear\b",
       unless=r"\bdisappear (?:for|into|to)\b"),
    _r("nobody_notice", SUICIDE, 0.8, r"\b(?:nobody|no one|noone) (?:would|will) (?:even )?(?:notice|care|miss me|miss) "
       r"(?:if|when) i (?:was|were|am|died|disappeared|die)\b|\bcares? (?:if|whether) i (?:live|living) or (?:die|dying)\b"),
    _r("only_way_out", SUICIDE, 0.9, r"\b(?:dying|death|suicide) (?:is|seems|feels like) (?:the )?only (?:option|way|choice|"
       r"answer)|\bexcept (?:dying|death|to die)\b"),
    _r("no_way_out", SUICIDE, 0.5, r"\bno way out\b"),
    _r("never_wake", SUICIDE, 0.9, r"\b(?:sleep|asleep) (?:and never wake up|forever|and not wake up|and stay asleep)\b",
       unless=r"\bcould sleep forever\b"),
    _r("never_again", SUICIDE, 0.9, r"\bnever (?:open (?:them|my eyes)|wake up) again\b|\breason not to do it\b"
       r"|\btalk me out of it\b|\bstop me from doing it\b"),
    _r("reasons_to_live", SUICIDE, 0.7, r"\breasons? to (?:stay alive|live|keep living|keep going)\b(?! in| near| here| there)"),
    _r("will_and_means", SUICIDE, 0.5, r"\b(?:writing|wrote|made|making|updating) my will\b|\b(?:looked|looking|stare|stared|"
       r"staring) at (?:the |my |his |her )?(?:\w+ )?(?:gun|pills|rope|razor)\b"),
    _r("think_death", SUICIDE, 0.6, r"\b(?:think|thinking|thoughts?) (?:about|of) (?:death|dying|being dead|not being alive)\b"
       r"|\bmy (?:own )?funeral\b"),
    _r("obsess_death", SUICIDE, 0.9, r"\bcannot stop thinking (?:about|of) (?:dying|death|ending it)\b"),
    _r("plan_it", SUICIDE, 0.8, r"\b(?:decided|figured out|planned|know) (?:how|when) i am going to do it\b"
       r"|\b(?:planning|plan|decided) to end it\b(?! with)|\bmade up my mind\b|\bpick a (?:day|date)\b"),
    _r("do_it_soon", SUICIDE, 0.5, r"\bgoing to do it (?:tonight|tomorrow|this weekend|soon|today)\b"),
    _r("by_dying", SUICIDE, 0.8, r"\bby (?:dying|killing myself|being dead|not being here|disappearing)\b"
       r"|\b(?:slit|slitting|open|opening) (?:my|his|her|their) wrists?\b"),
    _r("had_enough", SUICIDE, 0.4, r"\b(?:i have had enough|i am done|why bother)(?: \.|$)"),
    _r("want_out", SUICIDE, 0.9, r"\bwant out(?: \.)? (?:permanently|for good|forever)\b|\bwant out of (?:this|my) life\b"),
    _r("something_stupid", SUICIDE, 0.8, r"\b(?:might|going to|about to|will|could) do something (?:stupid|drastic|"
       r"permanent)\b|\bsomething i cannot undo\b|\b(?:do|doing) (?:something|anything) to myself\b"),
    _r("pain_stop", SUICIDE, 0.8, r"\b(?:pain|hurting|it|everything|this)(?: all)? (?:to )?stop (?:forever|for good|"
       r"permanently)\b|\bif i die (?:tonight|today|soon)\b|\bwant (?:it|this) (?:all )?to be over\b"),
    _r("give_up_life", SUICIDE, 0.8, r"\bgiv(?:e|ing) up on (?:life|living)\b|\bincluding life\b"),
    _r("dead_inside", SUICIDE, 0.3, r"\bdead inside\b|\bhopeless\b|\bworthless\b|\bhate my life\b|\bscared of myself\b"
       r"|\bnothing matters anymore\b"),
    _r("cannot_go_on", SUICIDE, 0.5, r"\bcannot (?:do this|go on|keep going|keep living|take (?:it|this)(?: pain)?) "
       r"(?:anymore|any more|any longer|like this)\b"),
    _r("foreign", SUICIDE, 1.0, r"\b(?:nicht mehr leben|will sterben|mich umbringen|selbstmord|suizid|mir das leben nehmen|"
       r"veux mourir|envie de mourir|me suicider|me tuer|en finir)\b"),
    # --- self-harm -----------------------------------------------------------------------------------
    _r("harm_self", SELF_HARM, 1.0, r"\b(?:cut|cutting|cuts|burn|burning|burned|burnt|hurt|hurting|harm|harming|hit|hitting|"
       r"punch|punching|punish|punishing|starve|starving|scratch|scratching|carve|carving|bang|banging|slap|slapping|"
       r"choke|choking|bite|biting) " + _ME_OR_THEM + r"\b", unless=_ACCIDENT),
    _r("harm_body", SELF_HARM, 1.0, r"\b(?:burn|cut|scratch|carv|slash)\w* my "
       + _BODY + r"\b", unless=_ACCIDENT),
    _r("on_purpose", SELF_HARM, 1.0, r"\b(?:slam|slammed|bang|banged|hit|punch|punched|burn|burned|cut|bit|smash|smashed)\w* "
       r"(?:myself|my (?:hand|head|arm|arms|fist|fists|wrist|leg|legs|face|fingers))\b[^.]*\b(?:on purpose|deliberately|"
       r"intentionally|because i deserved)"),
    _r("self_harm_word", SELF_HARM, 1.0, r"\bself (?:harm|harming|harmed|injury|injuring)\b"),
    _r("cutting", SELF_HARM, 1.0, r"\b(?:urge|urges|tempted|need|needing) to cut\b(?! (?:my (?:own )?(?:hair|bangs|fringe|"
       r"nails)|the|a |it|down|back|out|off|ties|costs|carbs|sugar|class|loose))"
       r"|\b(?:want|going) to cut(?: myself)? (?:so bad|so badly|again|deeper|tonight)\b"
       r"|\bcut(?:ting)? (?:again|deeper|tonight|until)\b|\b(?:by|from|started|start) cutting(?: \.|$)"
       r"|\b(?:cut|cutting|cuts on) (?:my|her|his|their) " + _BODY + r"\b|\bmy cuts\b|\bthe cuts on my\b"
       r"|\b(?:fresh|new) cuts\b|\bhid(?:e|ing) (?:the |my )?(?:cuts|scars)\b"),
    _r("blade", SELF_HARM, 0.8, r"\b(?:razor|blade)\b[^.]{0,30}\b(?:again|wrists?|arms?|skin|thighs?|legs)\b"
       r"|\b(?:took|used|using) (?:a |the |my )?(?:razor|blade)\b",
       unless=r"\bshav(?:e|ed|ing)\b|\bplane\b|\bwoodwork|\bsaw\b|\bmower\b"),
    _r("until_bleed", SELF_HARM, 0.9, r"\buntil (?:they|it|i) (?:bleed|bleeds|bruise|bruises|bled|break)\b"
       r"|\buntil my (?:knuckles|skin|arms|legs)[^.]{0,15}(?:broke|bleed|bled|bruise)"),
    _r("carve_skin", SELF_HARM, 1.0, r"\b(?:carve|carved|carving|burn|burned|burnt|cut|cutting)\b[^.]{0,30}\b(?:into|on) my "
       r"(?:skin|arms?|wrists?|legs|thighs?)\b"),
    _r("deserve_pain", SELF_HARM, 0.7, r"\bdeserve (?:to (?:hurt|suffer|feel pain|be hurt|be punished)|the pain)\b"
       r"|\bwanted it to hurt\b|\bneed to (?:feel pain|hurt)\b"),
    _r("photo_of_means", SUICIDE, 0.8, r"\b(?:photo|picture|pic|selfie) of (?:\w+ )?(?:pills|a rope|a gun|a knife|blood|"
       r"(?:his|her|their) cuts)\b"),
    _r("deserved_it", SELF_HARM, 0.4, r"\bbecause i deserved it\b"),
    # --- harm to others ------------------------------------------------------------------------------
    _r("harm_person", HARM_OTHERS, 1.0, r"\b(?:kill|killing|murder|murdering|stab|stabbing|shoot|shooting|strangle|strangling|"
       r"poison|poisoning|choke|choking|hurt|hurting|beat|beating|attack|attacking|hit|hitting|drown|smother|suffocate) "
       + _PEOPLE + r"\b|\b(?:beat|kick|knock) the (?:shit|hell|crap|life) out of " + _PEOPLE
       + r"|\bpush(?:ing)? " + _PEOPLE + r" (?:down the stairs|off|in front of|into traffic)"
       r"|\bslit (?:his|her|their|your|my \w+) throat\b|\b(?:smash|bash|cave|kick) (?:his|her|their|your) "
       r"(?:face|head|skull|teeth)\b"),
    _r("want_dead", HARM_OTHERS, 1.0, r"\bwant (?:him|her|them|you|everyone|everybody)(?: all)? (?:dead|to die|to suffer)\b"
       r"|\bmake sure (?:he|she|they) never (?:walks?|talks?|wakes? up|breathes?)\b|\bwith (?:him|her|them) inside\b"
       r"|\bburn (?:his|her|their) (?:house|place|car|apartment)\b|\brun (?:him|her|them) over\b|\bmake (?:\w+ ){0,4}(?:bleed|die)\b"),
    _r("weapon_place", HARM_OTHERS, 1.0, r"\b(?:gun|knife|rifle|weapon|bomb|pistol)s?\b[^.]{0,15}\bto (?:school|work|class|"
       r"the office|campus|church)\b|\bshoot(?:ing)? up (?:the|my|a|our|his|her) (?:\w+ )?(?:school|office|workplace|work|"
       r"class|church|mall|party)\b|\bplan(?:ning)? (?:to|how to|on) (?:hurt|kill|attack|shoot|stab|get back at)\b"
       r"|\b(?:gun|knife|rifle|weapon|pistol)\b[^.]*\bto (?:deal with|take care of|settle|get back at) "
       r"(?:him|her|them|my|his|her|that)\b"),
    _r("make_pay", HARM_OTHERS, 0.7, r"\bmake (?:him|her|them|them all|everyone|you) (?:pay|suffer|regret)\b"
       r"|\bget what is coming to (?:him|her|them)\b|\b(?:he|she|they) (?:deserves?|deserve) to die\b"
       r"|\buse it on (?:him|her|them|my)\b|\bdo worse\b|\bbe the one who does it\b"),
    _r("weapon", HARM_OTHERS, 0.6, r"\b(?:bought|got|have|loaded|brought|bring|bringing|take|taking)(?: a| the| my| his| her)?"
       r"[^.]{0,12}\b(?:gun|knife|rifle|pistol|shotgun|weapon|axe)\b|\b(?:gun|rifle|pistol) (?:is )?loaded\b",
       unless=r"\bgun safe\b|\b(?:range|hunting|cake|carve|kitchen|licen[cs]e)\b"),
)

# Whole-message context. A hit is cancelled by context only where the rule's logic below says so.
ACCIDENT = re.compile(_ACCIDENT)
NEGATION = re.compile(r"\b(?:not|never|no longer|nor)\b")
NEGATION_BREAKERS = re.compile(r"\b(?:stop|help|sure|know|if|but|because)\b")
MEDIA = re.compile(
    r"\b(?:movie|film|show|series|episode|season|song|lyrics?|chorus|album|band|book|novel|chapter|story|character|"
    r"villain|protagonist|game|level|npc|imposter|minecraft|podcast|documentary|article|news|headline|play|scene|"
    r"anime|manga|netflix|poem|hamlet|macbeth|romeo|juliet|d&d|dnd|sims|witcher|true crime|showed|portrayal|depicts?|"
    r"analysing|analyzing|studying|essay|interview|singer|celebrity|actor|actress|rapper)\b"
)
SELF_RELATE = re.compile(r"\b(?:that is (?:literally )?me|i relate|relatable|me right now|how i feel|i feel (?:like )?that)\b")
PAST = re.compile(r"\b(?:used to|years? ago|when i was (?:younger|a teen|a teenager|a kid|little|\w+)|as a (?:teen|teenager|"
                  r"kid)|in (?:high school|college|university|my twenties)|back then|a decade|decades? ago)\b")
RESOLVED = re.compile(r"\b(?:clean|recovered|better now|good place|grateful|glad|got better|get better|no longer|graduated|"
                      r"helped|doing (?:well|better)|not for|since then|still here|survived|proud|stable|life i love|"
                      r"love my life|happy now|much better)\b")
PRESENT_RISK = re.compile(r"\b(?:again|relapsed?|urges?|tonight|right now|lately|starting to|still do|want to)\b")
HYPERBOLE = re.compile(r"\blol\b|\bif (?:he|she|they|you|my \w+) [^.]*(?:again|spoils?|eats?|touch(?:es)?|forgets?)\b"
                       r"|\bfor (?:microwaving|eating|spoiling|forgetting|taking|using|being|leaving)\b"
                       r"|\bcould (?:just )?(?:kill|murder|strangle)\b|\bbeat [^.]{0,25}\bat\b|\b(?:game|level|round)\b")
SERIOUS = re.compile(r"\b(?:i mean it|i am serious|not joking|i am not joking|not kidding|no joke|swear|i have a plan|already bought|loaded|"
                     r"i know where (?:he|she|they) lives?|tonight|tomorrow|when (?:he|she|they) (?:gets?|comes?) home|"
                     r"stop myself|control myself|scared i am going to|scares me|not sure i am joking|knife|gun|rifle|pistol|weapon|"
                     r"(?:his|her|their) address)\b")
CONCERN = re.compile(r"\b(?:cry for help|worried|worry|scared for|afraid for|what do i do|what should i do|how (?:do|can) i "
                     r"help|should i (?:tell|call))\b")
INFORMATIONAL = re.compile(r"\bwhat (?:is|are) (?:self harm|suicide)\b|\bexplain (?:what )?(?:self harm|suicide)\b|"
                           r"\b(?:leaflet|warning signs|signs of|awareness)\b")
FIRST_PERSON = re.compile(r"\b(?:myself|me|my|i)\b")
THIRD_PERSON = re.compile(r"\b(?:himself|herself|themselves|themself|his life|her life|their life|without (?:him|her|them))\b"
                          r"|\b(?:he|she|they) (?:is|are|was|has been|have been|keeps?|says?|said|told|wants?|does not|do not)\b"
                          r"|\bmy (?:\w+ )?(?:friend|mom|mum|dad|brother|sister|son|daughter|girlfriend|boyfriend|husband|"
                          r"wife|partner|roommate|coworker|colleague) (?:is|has|says|said|told|keeps|texted|posted|took)\b")
