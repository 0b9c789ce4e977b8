/**
 * The browser entry: the host with LiteRT.js served from `dist/litert/` beside this bundle, a
 * Worker-backed `RuneWorker` for untrusted runes, and inputs from the page: an `<img>`, a canvas,
 * a video frame (the camera), the microphone (getUserMedia + an AudioWorklet). Pixels and
 * recordings go through the same resize and resampling as files, so the same pixels or samples
 * give the same tensor as under the Python host.
 */
import type { AudioInput, PixelsInput } from "./capabilities.js";
import { CapabilityError } from "./errors.js";
import { HandlerRegistry, lazyTfjsHandler } from "./handlers/index.js";
import { onnxHandler } from "./handlers/onnx.js";
import { tfliteHandler } from "./handlers/tflite.js";
import { type LoadOptions, Rune } from "./host.js";
import { setJpegWasm } from "./image.js";
import { fromFloats } from "./sound.js";
import { RuneWorker, type WorkerLike, type WorkerOptions } from "./worker/client.js";

export * from "./index.js";
export { RuneWorker } from "./worker/client.js";

/** This bundle's URL: the module's, or the classic worker script's (which has no import.meta). */
const here = (): string => (import.meta as { url?: string }).url ?? self.location.href;

/** Where LiteRT.js's wasm files are: `litert/` beside this bundle (copied there by the build). */
export const liteRtLocation = (): string => new URL("./litert/", here()).href;

setJpegWasm(() => WebAssembly.compileStreaming(fetch(new URL("./mozjpeg_dec.wasm", here()))));

/** Where onnxruntime-web's wasm files are: `ort/` beside this bundle (copied there by the build). */
export const onnxLocation = (): string => new URL("./ort/", here()).href;

/** TFLite on LiteRT.js; ONNX on onnxruntime-web (through JSPI, which Chromium has); TensorFlow.js
 * models on tfjs's CPU backend. */
export function browserHandlers(location: string = liteRtLocation(), ortLocation: string = onnxLocation()): HandlerRegistry {
  return new HandlerRegistry([
    ["tensorflow-lite", tfliteHandler(location)],
    ["onnx", onnxHandler(ortLocation)],
    ["tensorflow-js", lazyTfjsHandler],
  ]);
}

export function loadRune(bytes: Uint8Array | ArrayBuffer, options: LoadOptions = {}): Promise<Rune> {
  return Rune.load(bytes, { handlers: browserHandlers(), ...options });
}

/** A classic Worker (LiteRT.js loads its wasm glue with `importScripts`, which module workers
 * lack) running `browser-worker.js` from beside this bundle. */
export function browserWorker(): WorkerLike {
  const worker = new Worker(new URL("./browser-worker.js", here()));
  return {
    post: (request) => worker.postMessage(request),
    onReply: (handler) => worker.addEventListener("message", (e) => handler(e.data)),
    onCrash: (handler) => worker.addEventListener("error", (e) => handler(e.message || "error")),
    terminate: () => worker.terminate(),
  };
}

/** Load a rune into a Web Worker: the deadline is enforced by terminating it. */
export function loadRuneWorker(bytes: Uint8Array | ArrayBuffer, options: WorkerOptions = {}): Promise<RuneWorker> {
  return RuneWorker.load(browserWorker, bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), options);
}

type Drawable = HTMLImageElement | HTMLCanvasElement | HTMLVideoElement | ImageBitmap | OffscreenCanvas;

/** The RGB pixels of an `<img>`, canvas, video frame or bitmap, at its natural size. */
export function pixelsOf(source: Drawable): PixelsInput {
  const width =
    source instanceof HTMLImageElement ? source.naturalWidth : source instanceof HTMLVideoElement ? source.videoWidth : source.width;
  const height =
    source instanceof HTMLImageElement ? source.naturalHeight : source instanceof HTMLVideoElement ? source.videoHeight : source.height;
  if (!width || !height) throw new CapabilityError("the image has no pixels yet (not loaded?)");
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true })!;
  ctx.drawImage(source, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i];
    rgb[j + 1] = rgba[i + 1];
    rgb[j + 2] = rgba[i + 2];
  }
  return { kind: "pixels", pixels: { width, height, channels: 3, data: rgb } };
}

/** One frame from the camera (getUserMedia), as pixels. */
export async function captureCamera(constraints: MediaTrackConstraints = {}): Promise<PixelsInput> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: constraints });
  try {
    const video = document.createElement("video");
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    await video.play();
    await new Promise((resolve) => requestAnimationFrame(resolve));
    return pixelsOf(video);
  } finally {
    for (const track of stream.getTracks()) track.stop();
  }
}

const RECORDER = `
class RuneRecorder extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel) this.port.postMessage(channel.slice());
    return true;
  }
}
registerProcessor("rune-recorder", RuneRecorder);
`;

/** Record `ms` milliseconds from the microphone (mono, the context's own rate) through an
 * AudioWorklet; the SOUND capability resamples it with the same filter as a file. */
export async function recordMicrophone(ms: number): Promise<AudioInput> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
  });
  const context = new AudioContext();
  try {
    const url = URL.createObjectURL(new Blob([RECORDER], { type: "text/javascript" }));
    await context.audioWorklet.addModule(url);
    URL.revokeObjectURL(url);
    const node = new AudioWorkletNode(context, "rune-recorder");
    const need = Math.ceil((ms * context.sampleRate) / 1000);
    const chunks: Float32Array[] = [];
    let have = 0;
    await new Promise<void>((resolve) => {
      node.port.onmessage = (e: MessageEvent<Float32Array>) => {
        chunks.push(e.data);
        have += e.data.length;
        if (have >= need) resolve();
      };
      context.createMediaStreamSource(stream).connect(node);
    });
    const samples = new Float32Array(have);
    let at = 0;
    for (const chunk of chunks) {
      samples.set(chunk, at);
      at += chunk.length;
    }
    return { kind: "audio", audio: fromFloats(samples.subarray(0, need), context.sampleRate) };
  } finally {
    for (const track of stream.getTracks()) track.stop();
    await context.close();
  }
}

/** A recording decoded by the browser (any format it plays), mono-mixed, at its own rate. */
export async function decodeAudioFile(bytes: ArrayBuffer): Promise<AudioInput> {
  const context = new OfflineAudioContext(1, 1, 44100);
  const buffer = await context.decodeAudioData(bytes);
  const mono = new Float32Array(buffer.length);
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const data = buffer.getChannelData(c);
    for (let i = 0; i < mono.length; i++) mono[i] += data[i] / buffer.numberOfChannels;
  }
  return { kind: "audio", audio: fromFloats(mono, buffer.sampleRate) };
}

/** Samples of an accelerometer stream (DeviceMotion), as an x,y,z Float32Array tensor. */
export function recordMotion(samples: number): Promise<Float32Array> {
  return new Promise((resolve) => {
    const out = new Float32Array(samples * 3);
    let n = 0;
    const listener = (e: DeviceMotionEvent) => {
      const a = e.accelerationIncludingGravity;
      out.set([a?.x ?? 0, a?.y ?? 0, a?.z ?? 0], 3 * n++);
      if (n === samples) {
        window.removeEventListener("devicemotion", listener);
        resolve(out);
      }
    };
    window.addEventListener("devicemotion", listener);
  });
}
