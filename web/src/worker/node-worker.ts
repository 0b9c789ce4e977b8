/** The Node worker thread's entry: serve one rune over `parentPort`. */
import { readFileSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { nodeHandlers } from "../node.js";
import type { Request } from "./protocol.js";
import { serve } from "./serve.js";

serve(
  {
    post: (reply) => parentPort!.postMessage(reply),
    listen: (handler) => parentPort!.on("message", (m: Request) => handler(m)),
  },
  nodeHandlers,
  (path) => readFileSync(path),
);
