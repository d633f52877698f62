// Package sysmem tells how much memory the machine (or the container it
// runs in) can still give this process, so that a training run can refuse
// a batch that will not fit before it starts instead of dying in the middle
// with an out-of-memory error. Available reads MemAvailable, the cgroup v2
// limit and what `ulimit -v` leaves on Linux, GlobalMemoryStatusEx on
// Windows and the physical memory size on the BSDs and macOS.
package sysmem
