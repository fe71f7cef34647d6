// Package pluginproc sets up the provider's own process before it serves
// the CLI: which loggers write at all, and how often the garbage collector
// runs. Both are measured in bench/profile.md.
package pluginproc
