/** The errors a host raises, one class per cause, as in the Python host (runtime/errors.py). */

/** Everything a caller can get wrong; the message is one line. */
export class RuneError extends Error {
  override name = "RuneError";
}
/** The file is not a rune this host can load (container, manifest, module, ABI version). */
export class RuneLoadError extends RuneError {
  override name = "RuneLoadError";
}
/** An input could not become a capability's tensor, or a capability is not supported. */
export class CapabilityError extends RuneError {
  override name = "CapabilityError";
}
/** A model could not be loaded or run. */
export class ModelError extends RuneError {
  override name = "ModelError";
}
/** The rune failed while running (a trap, a bad import argument, a non-zero status). */
export class RuneRunError extends RuneError {
  override name = "RuneRunError";
}
/** The rune passed a pointer or length outside its memory. */
export class GuestMemoryError extends RuneRunError {
  override name = "GuestMemoryError";
}
/** A limit (memory, time, sizes) was exceeded. */
export class LimitError extends RuneError {
  override name = "LimitError";
}
