/** The browser Web Worker's entry: serve one rune over `postMessage`. */
import { browserHandlers } from "../browser.js";
import type { Request } from "./protocol.js";
import { serve } from "./serve.js";

const scope = self as unknown as DedicatedWorkerGlobalScope;
serve(
  {
    post: (reply) => scope.postMessage(reply),
    listen: (handler) => scope.addEventListener("message", (e: MessageEvent<Request>) => handler(e.data)),
  },
  () => browserHandlers(),
);
