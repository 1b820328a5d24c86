// Microphone samples at the AudioContext's rate (often 48 kHz) -> PCM16 mono at the server's rate (16 kHz),
// posted to the page in 40 ms blocks (small enough for a quick barge-in, large enough to keep events few).
class Pcm16Sender extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const target = options.processorOptions.targetRate;
    this.step = sampleRate / target;  // input samples per output sample
    this.position = 0;                // of the next output sample, in the current block (-1 is the last one)
    this.last = 0;                    // the previous block's last sample
    this.block = new Int16Array(Math.round(target * 0.04));
    this.filled = 0;
  }

  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (!input) return true;
    // Linear interpolation; the browser's noise suppression has already taken out most that would alias.
    while (this.position < input.length - 1) {
      const i = Math.floor(this.position);
      const fraction = this.position - i;
      const a = i < 0 ? this.last : input[i];
      const value = a + (input[i + 1] - a) * fraction;
      this.push(Math.max(-1, Math.min(1, value)));
      this.position += this.step;
    }
    this.position -= input.length;
    this.last = input[input.length - 1];
    return true;
  }

  push(value) {
    this.block[this.filled++] = value < 0 ? value * 32768 : value * 32767;
    if (this.filled === this.block.length) {
      this.port.postMessage(this.block.buffer.slice(0));
      this.filled = 0;
    }
  }
}

registerProcessor("pcm16-sender", Pcm16Sender);
