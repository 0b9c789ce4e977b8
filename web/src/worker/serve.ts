/**
 * The worker side: host one rune and answer `run` requests. The worker is the sandbox that
 * `RuneWorker` terminates when a run passes its deadline; the page or process stays alive.
 */
import type { HandlerRegistry } from "../handlers/index.js";
import { Rune } from "../host.js";
import { type Reply, type Request, errorReply } from "./protocol.js";

export interface Port {
  post(reply: Reply): void;
  listen(handler: (request: Request) => void): void;
}

export function serve(port: Port, handlers: () => HandlerRegistry, readFile?: (path: string) => Uint8Array): void {
  let rune: Rune | null = null;
  port.listen(async (request) => {
    if (request.type === "load") {
      try {
        rune = await Rune.load(request.bytes, {
          seed: request.seed,
          limits: request.limits,
          handlers: handlers(),
          readFile,
          onLog: (level, message) => port.post({ type: "log", level, message }),
        });
        port.post({ type: "loaded", manifest: rune.manifest.raw });
      } catch (exc) {
        port.post(errorReply(exc));
      }
      return;
    }
    try {
      if (!rune) throw new Error("no rune is loaded");
      port.post({ type: "outputs", id: request.id, outputs: await rune.run(request.inputs) });
    } catch (exc) {
      port.post(errorReply(exc, request.id));
    }
  });
}
