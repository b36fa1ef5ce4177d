/** Attention for the officer: vibration and a short beep, where the browser allows. */

let audio: AudioContext | null = null;

/** Call from a user gesture once, so that later beeps are allowed. */
export function unlockAudio(): void {
  try {
    const Ctx = globalThis.AudioContext ?? (globalThis as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!audio && Ctx) audio = new Ctx();
    void audio?.resume();
  } catch {
    audio = null;
  }
}

export function attention(): void {
  try {
    globalThis.navigator?.vibrate?.([250, 120, 250, 120, 400]);
  } catch {
    /* not allowed here */
  }
  if (!audio || audio.state !== "running") return;
  const start = audio.currentTime;
  for (const [i, freq] of [880, 660, 880].entries()) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.2, start + i * 0.25);
    gain.gain.exponentialRampToValueAtTime(0.001, start + i * 0.25 + 0.22);
    osc.connect(gain).connect(audio.destination);
    osc.start(start + i * 0.25);
    osc.stop(start + i * 0.25 + 0.23);
  }
}
