// Hands-free voice for the page: the microphone (with the browser's echo cancellation, so the OS does not
// hear itself) goes to the server as base64 PCM16 mono at the server's input rate; the OS's voice comes back
// as base64 PCM16 mono at 24 kHz and is played in order, and stopped the moment the user barges in.

export const OUTPUT_RATE = 24000;

function toBase64(bytes) {
  let binary = "";
  const view = new Uint8Array(bytes);
  for (let i = 0; i < view.length; i += 0x8000) binary += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64Pcm16(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  const pcm = new Int16Array(bytes.buffer, 0, bytes.length >> 1);
  return Float32Array.from(pcm, (s) => s / 32768);
}

export class Voice {
  constructor(inputRate, sendPcm16) {
    this.inputRate = inputRate;
    this.sendPcm16 = sendPcm16;
    this.playing = [];     // scheduled AudioBufferSourceNodes of the current reply
    this.playhead = 0;     // when (context time) the next chunk starts
    this.replyStart = null; // when the current reply's first chunk started
    this.scheduledMs = 0;  // how much of the current reply was scheduled
    window.os1Audio = { chunksPlayed: 0, sentChunks: 0 }; // for the page's tests and curious users
  }

  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
    });
    this.context = new AudioContext();
    await this.context.audioWorklet.addModule("/static/pcm-worklet.js");
    const source = this.context.createMediaStreamSource(this.stream);
    this.sender = new AudioWorkletNode(this.context, "pcm16-sender",
                                       { processorOptions: { targetRate: this.inputRate } });
    this.sender.port.onmessage = (message) => {
      window.os1Audio.sentChunks += 1;
      this.sendPcm16(toBase64(message.data));
    };
    // The worklet outputs nothing audible; connecting it keeps the graph (and so the microphone) running.
    const mute = this.context.createGain();
    mute.gain.value = 0;
    source.connect(this.sender).connect(mute).connect(this.context.destination);
  }

  play(base64) {
    const samples = fromBase64Pcm16(base64);
    if (!samples.length || !this.context) return;
    const buffer = this.context.createBuffer(1, samples.length, OUTPUT_RATE);
    buffer.copyToChannel(samples, 0);
    const node = this.context.createBufferSource();
    node.buffer = buffer;
    node.connect(this.context.destination);
    const at = Math.max(this.context.currentTime + 0.05, this.playhead);
    if (this.replyStart === null) this.replyStart = at;
    node.start(at);
    node.onended = () => { this.playing = this.playing.filter((n) => n !== node); };
    this.playing.push(node);
    this.playhead = at + buffer.duration;
    this.scheduledMs += buffer.duration * 1000;
    window.os1Audio.chunksPlayed += 1;
  }

  // Stop the OS's voice now; returns how many milliseconds of the reply were heard (null if none played).
  stopPlayback() {
    if (this.replyStart === null || !this.context) return null;
    const heard = Math.min(this.scheduledMs, Math.max(0, (this.context.currentTime - this.replyStart) * 1000));
    for (const node of this.playing) node.stop();
    this.playing = [];
    this.playhead = 0;
    this.replyStart = null;
    this.scheduledMs = 0;
    return Math.round(heard);
  }

  stop() {
    this.stopPlayback();
    if (this.stream) for (const track of this.stream.getTracks()) track.stop();
    if (this.context) this.context.close();
    this.context = null;
  }
}
