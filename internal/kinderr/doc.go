// Package kinderr is the one error type behind the packages' "kind"
// sentinels (npy.ErrFormat, exchange.ErrInput, data.ErrBadInput, ...): a
// message that errors.Is reports as its kind, so a command can tell bad
// input (exit 2) from other failures without matching text.
package kinderr
