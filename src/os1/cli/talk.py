"""`os1 talk`: a spoken conversation. Live through the sound card (optionally push-to-talk), or with
--input/--output it answers a recording and writes the OS's voice to a file (no sound card needed);
captions of both sides are printed either way."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from os1.cli.common import console, fail, get_settings
from os1.cli.render import loading
from os1.config import Settings
from os1.engine.live import PushToTalk, SoundCard
from os1.engine.realtime import RealtimeConversation
from os1.engine.runtime import Companion
from os1.engine.voice import Caption, VoiceConversation, Voices, open_voices, turn_config
from os1.voice import create_echo_canceller
from os1.voice.audio import Audio, read_wav, write_wav
from os1.voice.devices import sounddevice_module
from os1.voice.stream import PlaybackBuffer


def talk(
    input: Annotated[Path | None, typer.Option("--input", "-i", help="a WAV recording of what you say")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="where to write the OS's voice (WAV)")] = None,
    new: Annotated[bool, typer.Option("--new", help="start a new conversation instead of continuing")] = False,
    push_to_talk: Annotated[bool, typer.Option("--push-to-talk", help="live: Enter opens and closes the mic")] = False,
) -> None:
    """Talk with your OS by voice, live, or through files: os1 talk --input me.wav --output os.wav"""
    if (input is None) != (output is None):
        fail("--input and --output go together", "e.g. os1 talk --input me.wav --output os.wav")
    settings = get_settings()
    if input is None or output is None:
        sounddevice = sounddevice_module()  # says clearly when there is no sound card, before any model loads
        talk_live(settings, sounddevice, new, push_to_talk)
        return
    recording = read_wav(input)  # a bad file fails now, not after the models loaded
    with asyncio.Runner() as runner:
        companion = runner.run(loading(settings, learn_when_quiet_s=settings.voice_learn_after_quiet_s))
        try:
            said = runner.run(_answer_file(companion, settings, recording, new))
        finally:
            runner.run(companion.aclose())
    write_wav(output, said)
    if said.seconds == 0:
        console.print(f"[yellow]no speech found in {input}[/] — nothing to answer; {output} is silent")
    else:
        console.print(f"[dim]{said.seconds:.1f} s of the OS's voice written to {output}[/]")


async def _answer_file(companion: Companion, settings: Settings, recording: Audio, new: bool) -> Audio:
    with console.status("[italic]loading voices…[/]", spinner="dots"):
        voices: Voices = await asyncio.to_thread(open_voices, settings)
    session = await companion.open_session(new_conversation=new)
    name = session.profile.identity.name if session.profile.identity else "OS1"
    try:
        conversation = VoiceConversation(session, voices, turn_config(settings), captions=lambda c: show(c, name))
        return await conversation.run_file(recording)
    finally:
        await session.aclose()


def talk_live(settings: Settings, sounddevice: Any, new: bool, push_to_talk: bool) -> None:
    with asyncio.Runner() as runner:
        companion = runner.run(loading(settings, learn_when_quiet_s=settings.voice_learn_after_quiet_s))
        try:
            runner.run(_converse_live(companion, settings, sounddevice, new, PushToTalk(push_to_talk)))
        except KeyboardInterrupt:
            console.print("[dim]bye[/]")
        finally:
            runner.run(companion.aclose())


async def _converse_live(companion: Companion, settings: Settings, sounddevice: Any, new: bool,
                         gate: PushToTalk) -> None:
    with console.status("[italic]loading voices…[/]", spinner="dots"):
        voices: Voices = await asyncio.to_thread(open_voices, settings)
    session = await companion.open_session(new_conversation=new)
    name = session.profile.identity.name if session.profile.identity else "OS1"
    speaker = PlaybackBuffer(voices.tts.rate)
    echo = create_echo_canceller(settings.voice_echo_cancel)
    conversation = RealtimeConversation(session, voices, speaker, turn_config(settings),
                                        captions=lambda c: show(c, name), write_ahead=settings.voice_write_ahead)
    if gate.enabled:
        _toggle_on_enter(gate)
    console.print("[dim]listening — speak any time" + (" after Enter" if gate.enabled else "") + "; Ctrl-C ends[/]")
    try:
        await conversation.run(SoundCard(sounddevice, speaker, gate, echo).chunks())
    finally:
        await session.aclose()


def _toggle_on_enter(gate: PushToTalk) -> None:
    """Enter flips the microphone on and off (a thread: reading the terminal blocks)."""
    def read() -> None:
        for _ in sys.stdin:
            console.print("[dim]mic on[/]" if gate.toggle() else "[dim]mic off[/]")

    threading.Thread(target=read, name="os1-push-to-talk", daemon=True).start()


def show(caption: Caption, name: str) -> None:
    if caption.partial:
        show_partial(caption.text)
        return
    if console.is_terminal:
        console.file.write("\r\x1b[2K")  # the partial line, if any, gives way to the whole utterance
    who = "[bold cyan]you:[/]" if caption.speaker == "you" else f"[bold magenta]{name}:[/]"
    cut = " [dim](interrupted)[/]" if caption.interrupted else ""
    console.print(f"{who} {caption.text}{cut}", soft_wrap=True, highlight=False)


def show_partial(text: str) -> None:
    """The user's words so far, on one line that the next one overwrites (only on a terminal: a log or a
    pipe gets whole utterances only). The newest words matter most, so a long line loses its start."""
    if not console.is_terminal:
        return
    room = max(10, console.width - 8)
    tail = text if len(text) <= room else "…" + text[-room + 1:]
    console.file.write("\r\x1b[2K")
    console.print(f"[dim cyan]you: {escape(tail)}[/]", end="", highlight=False, no_wrap=True, crop=True)
