// The OS1 page: log in, talk (text and voice over /v1/realtime), see and forget memories, change what the OS
// knows about you and read the server's settings.
// Plain ES modules served as they are: no build step, no CDN, works offline.
import { Voice } from "/static/voice.js";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "os1.token";
let token = sessionStorage.getItem(TOKEN_KEY);
let server = null; // GET /api/server: auth mode and audio rate
let socket = null;
let streaming = null; // the assistant's <li> being written, with its response id
let voice = null;

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.body) headers["Content-Type"] = "application/json";
  const answer = await fetch(path, { ...options, headers });
  const body = await answer.json().catch(() => null);
  if (!answer.ok) {
    if (answer.status === 401 && server && server.auth !== "none") showLogin();
    throw new Error(body?.error?.message || `the server answered ${answer.status}`);
  }
  return body;
}

function say(text) { $("status").textContent = text; }

// --- logging in ---------------------------------------------------------------------------------------

function showLogin() {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  if (socket) socket.close();
  $("app").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  $("username").focus();
}

async function logIn(register) {
  const credentials = { username: $("username").value.trim(), password: $("password").value };
  $("login-error").textContent = "";
  try {
    if (register) await api("/api/accounts", { method: "POST", body: JSON.stringify(credentials) });
    const login = await api("/api/login", { method: "POST", body: JSON.stringify(credentials) });
    token = login.token;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("password").value = "";
    await enter();
  } catch (error) {
    $("login-error").textContent = error.message;
  }
}

async function logOut() {
  await api("/api/logout", { method: "POST" }).catch(() => {});
  if (voice) await toggleVoice();
  showLogin();
}

async function enter() {
  $("login").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = server.auth === "none";
  connect();
  await Promise.all([showIdentity(), showMood(), showSettings()]);
  $("message").focus();
}

// --- who the OS is and how it feels ---------------------------------------------------------------------

async function showIdentity() {
  const found = await api("/api/profile").catch(() => null);
  const name = found?.profile?.identity?.name || "OS1";
  $("os-name").textContent = name;
  document.title = name;
}

async function showMood() {
  const mood = await api("/api/mood").catch(() => null);
  $("os-mood").textContent = mood ? `feeling ${mood.feeling}` : "";
}

// --- the conversation -----------------------------------------------------------------------------------

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/v1/realtime`);
  // Browsers cannot set headers on a WebSocket: the token goes in the first event instead.
  socket.onopen = () => { if (token) send({ type: "auth", token }); };
  socket.onmessage = (message) => onEvent(JSON.parse(message.data));
  socket.onclose = () => {
    say("disconnected — reload the page to reconnect");
    if (voice) toggleVoice();
  };
}

function send(event) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(event));
}

function addMessage(role, text, truncated = false) {
  const item = document.createElement("li");
  item.className = role + (truncated ? " truncated" : "");
  item.textContent = text;
  $("log").append(item);
  item.scrollIntoView({ block: "end" });
  return item;
}

async function showConversation(id) {
  $("log").replaceChildren();
  const messages = await api(`/api/conversations/${encodeURIComponent(id)}/messages?limit=50`).catch(() => []);
  for (const m of messages) addMessage(m.role, m.content, m.status === "truncated");
}

const handlers = {
  "session.created": (e) => showConversation(e.session.conversation),
  "session.updated": (e) => showConversation(e.session.conversation),
  "response.created": (e) => {
    streaming = { id: e.response.id, item: addMessage("assistant", "") };
    $("stop").hidden = false;
    say("");
  },
  "response.output_text.delta": (e) => {
    if (!streaming) return;
    streaming.item.textContent += e.delta;
    streaming.item.scrollIntoView({ block: "end" });
  },
  "response.done": (e) => {
    if (streaming && e.response.status !== "completed") {
      streaming.item.classList.add("truncated");
      // A spoken reply cut short is kept as far as it was heard: show that, as history will.
      const heard = e.response.output?.[0]?.content?.find((c) => c.type === "output_audio");
      if (heard) streaming.item.textContent = heard.transcript;
    }
    if (streaming && !streaming.item.textContent) streaming.item.remove();
    streaming = null;
    $("stop").hidden = true;
    showMood();
  },
  "error": (e) => say(e.error.message),
  "input_audio_buffer.speech_started": () => {
    say("listening…");
    const heardMs = voice ? voice.stopPlayback() : null;
    if (streaming && heardMs !== null) {
      // Tell the server how much of the reply was heard: it is stored up to there.
      send({ type: "conversation.item.truncate", item_id: streaming.id, content_index: 0, audio_end_ms: heardMs });
    }
  },
  "input_audio_buffer.speech_stopped": () => say("thinking…"),
  "conversation.item.input_audio_transcription.completed": (e) => { say(""); addMessage("user", e.transcript); },
  "response.output_audio.delta": (e) => { if (voice) voice.play(e.delta); },
};

function onEvent(event) {
  const handle = handlers[event.type];
  if (handle) handle(event);
}

function sendText(submit) {
  submit.preventDefault();
  const text = $("message").value.trim();
  if (!text) return;
  if (text.length > server.max_message_chars) {
    say(`a message is at most ${server.max_message_chars} characters`);
    return;
  }
  addMessage("user", text);
  send({ type: "input_text", text });
  $("message").value = "";
}

async function toggleVoice() {
  if (voice) {
    voice.stop();
    voice = null;
    $("mic").setAttribute("aria-pressed", "false");
    say("");
    return;
  }
  try {
    voice = new Voice(server.input_audio_rate, (pcm16) => send({ type: "input_audio_buffer.append", audio: pcm16 }));
    await voice.start();
    $("mic").setAttribute("aria-pressed", "true");
    say("listening — just talk");
  } catch (error) {
    voice = null;
    say(`no microphone: ${error.message}`);
  }
}

// --- memory ---------------------------------------------------------------------------------------------

async function showMemories(query) {
  const path = query ? `/api/memory/search?q=${encodeURIComponent(query)}&k=50` : "/api/memory?limit=100";
  const items = await api(path).catch((error) => { say(error.message); return []; });
  const list = $("memories");
  list.replaceChildren(...items.map(memoryItem));
  if (!items.length) list.append(Object.assign(document.createElement("li"), { textContent: "Nothing here." }));
}

function memoryItem(memory) {
  const item = document.createElement("li");
  const text = document.createElement("p");
  text.textContent = memory.text;
  const meta = document.createElement("small");
  meta.textContent = `${memory.kind} · ${memory.speaker} · ${new Date(memory.occurred_at).toLocaleString()}`;
  text.append(meta);
  const forget = document.createElement("button");
  forget.type = "button";
  forget.className = "secondary";
  forget.textContent = "Forget";
  forget.setAttribute("aria-label", `Forget: ${memory.text}`);
  // Forgetting is for good (and takes what was derived from it along): ask once more, in place.
  forget.onclick = () => {
    if (forget.dataset.armed) return forgetMemory(memory.id, item);
    forget.dataset.armed = "yes";
    forget.textContent = "Forget for good";
  };
  item.append(text, forget);
  return item;
}

async function forgetMemory(id, item) {
  try {
    const done = await api(`/api/memory/${encodeURIComponent(id)}`, { method: "DELETE" });
    item.remove();
    say(`forgotten (${done.forgotten} item${done.forgotten === 1 ? "" : "s"})`);
  } catch (error) {
    say(error.message);
  }
}

// --- settings and tabs ----------------------------------------------------------------------------------

async function showSettings() {
  const [found, mine] = await Promise.all([
    api("/api/settings").catch(() => ({ settings: {} })),
    api("/api/profile").catch(() => null),
  ]);
  if (mine) {
    $("profile-name").value = mine.profile.user_name || "";
    $("profile-style").value = mine.profile.address_style || "";
    $("profile-voice").value = mine.profile.voice;
    $("profile-sociability").value = mine.profile.sociability;
  }
  const list = $("settings");
  list.replaceChildren();
  for (const [key, value] of Object.entries(found.settings)) {
    list.append(Object.assign(document.createElement("dt"), { textContent: key }),
                Object.assign(document.createElement("dd"), { textContent: String(value) }));
  }
}

async function saveProfile(event) {
  event.preventDefault();
  const change = {
    user_name: $("profile-name").value.trim(),
    address_style: $("profile-style").value.trim(),
    voice: $("profile-voice").value,
    sociability: $("profile-sociability").value,
  };
  try {
    await api("/api/profile", { method: "PATCH", body: JSON.stringify(change) });
    $("profile-status").textContent = "Saved: my next reply follows it.";
  } catch (error) {
    $("profile-status").textContent = error.message;
  }
}

function selectTab(tab) {
  for (const other of document.querySelectorAll("[role=tab]")) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    $(other.getAttribute("aria-controls")).hidden = !selected;
  }
  if (tab.id === "tab-memory") showMemories($("memory-query").value.trim());
}

// --- wiring ---------------------------------------------------------------------------------------------

function wire() {
  $("login-form").onsubmit = (e) => { e.preventDefault(); logIn(false); };
  $("register-button").onclick = () => { if ($("login-form").reportValidity()) logIn(true); };
  $("logout").onclick = logOut;
  $("composer").onsubmit = sendText;
  $("message").onkeydown = (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); }
  };
  $("stop").onclick = () => { if (voice) voice.stopPlayback(); send({ type: "response.cancel" }); };
  $("mic").onclick = toggleVoice;
  for (const tab of document.querySelectorAll("[role=tab]")) tab.onclick = () => selectTab(tab);
  $("memory-search").onsubmit = (e) => { e.preventDefault(); showMemories($("memory-query").value.trim()); };
  $("memory-all").onclick = () => { $("memory-query").value = ""; showMemories(""); };
  $("profile-form").onsubmit = saveProfile;
}

async function start() {
  wire();
  server = await api("/api/server");
  if (server.auth === "none" || token) await enter();
  else showLogin();
}

start();
