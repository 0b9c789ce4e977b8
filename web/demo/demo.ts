/** The demo page: drop or pick a .rune and inputs, run it in a Worker, show the outputs. */
import {
  type FileInput,
  type InputValue,
  type Output,
  RuneWorker,
  captureCamera,
  fileInputs,
  loadRuneWorker,
  recordMicrophone,
} from "rune-web/browser";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
let runeFile: File | null = null;
let inputFiles: File[] = [];
let loaded: { file: File; worker: RuneWorker } | null = null;

function take(files: File[]): void {
  for (const file of files) {
    if (file.name.endsWith(".rune")) runeFile = file;
    else inputFiles.push(file);
  }
  $("drop").textContent = `${runeFile?.name ?? "no rune"}; inputs: ${inputFiles.map((f) => f.name).join(", ") || "none"}`;
}

async function rune(): Promise<RuneWorker> {
  if (!runeFile) throw new Error("pick a .rune first");
  if (loaded?.file !== runeFile) {
    loaded?.worker.stop();
    const worker = await loadRuneWorker(new Uint8Array(await runeFile.arrayBuffer()), { limits: { deadlineMs: 10_000 } });
    loaded = { file: runeFile, worker };
    const m = worker.manifest;
    $("manifest").innerHTML =
      `<p><b>${m.name}</b>: ` +
      m.capabilities.map((c) => `${c.name} (${c.kind} ${c.tensor.describe()})`).join(", ") +
      ` &rarr; ${m.models.map((x) => `${x.name} [${x.format}]`).join(", ") || "no models"} &rarr; ` +
      `${m.outputs.map((o) => o.name).join(", ")}</p>`;
  }
  return loaded.worker;
}

function show(outputs: Output[], ms: number): void {
  const rows = outputs.map((o) => {
    const tensors = o.tensors
      .map((t) => {
        const values = Array.from(t.data as ArrayLike<unknown>).slice(0, 32).map(String);
        const more = t.data.length > 32 ? ` ... (${t.data.length - 32} more)` : "";
        return `<tr><td>${t.elementType}[${t.dimensions.join(",")}]</td><td>${values.join(", ")}${more}</td></tr>`;
      })
      .join("");
    return `<div class="output"><b>${o.name}</b> (${o.kind})<table>${tensors}</table></div>`;
  });
  $("outputs").innerHTML = rows.join("") + `<p class="muted">${ms.toFixed(1)} ms</p>`;
}

async function run(inputs: (worker: RuneWorker) => Promise<Record<string, InputValue>>): Promise<void> {
  $("error").textContent = "";
  $("outputs").textContent = "running...";
  try {
    const worker = await rune();
    const given = await inputs(worker);
    const started = performance.now();
    const outputs = await worker.run(given);
    show(outputs, performance.now() - started);
  } catch (exc) {
    $("outputs").textContent = "";
    $("error").textContent = `${(exc as Error).name}: ${(exc as Error).message}`;
  }
}

const fromFiles = async (worker: RuneWorker) => {
  const files: FileInput[] = [];
  for (const f of inputFiles) files.push({ kind: "file", name: f.name, data: new Uint8Array(await f.arrayBuffer()) });
  return fileInputs(worker.manifest, files);
};

const stageOf = (worker: RuneWorker, kinds: string[]) => {
  const spec = worker.manifest.capabilities.find((c) => kinds.includes(c.kind));
  if (!spec) throw new Error(`the rune has no ${kinds.join("/")} capability`);
  return spec.name;
};

$("rune-file").addEventListener("change", (e) => take([...((e.target as HTMLInputElement).files ?? [])]));
$("input-files").addEventListener("change", (e) => {
  inputFiles = [];
  take([...((e.target as HTMLInputElement).files ?? [])]);
});
$("drop").addEventListener("dragover", (e) => {
  e.preventDefault();
  $("drop").classList.add("over");
});
$("drop").addEventListener("dragleave", () => $("drop").classList.remove("over"));
$("drop").addEventListener("drop", (e) => {
  e.preventDefault();
  $("drop").classList.remove("over");
  take([...(e.dataTransfer?.files ?? [])]);
});
$("run").addEventListener("click", () => run(fromFiles));
$("microphone").addEventListener("click", () =>
  run(async (w) => ({ [stageOf(w, ["SOUND"])]: await recordMicrophone(1000) })),
);
$("camera").addEventListener("click", () =>
  run(async (w) => ({ [stageOf(w, ["IMAGE", "FLOAT_IMAGE"])]: await captureCamera() })),
);
