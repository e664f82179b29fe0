// The text of anything thrown: the core's errors are Errors whose message names the argument.
export function messageOf(err) {
  return err && err.message ? err.message : String(err);
}
