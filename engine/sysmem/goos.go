package sysmem

import "runtime"

const goos = runtime.GOOS
