package sysmem

// Available returns the bytes of memory this process can still use, and
// whether the system told; ok is false where it cannot be known.
func Available() (bytes int64, ok bool) {
	return available()
}
