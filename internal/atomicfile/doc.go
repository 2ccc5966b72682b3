// Package atomicfile writes output files so that a reader, or a run that
// stops half-way, never sees a partial file: every file goes through a
// temporary file in its own folder and a rename. Every package that writes
// outputs uses it (results, the flood generator, the command line).
package atomicfile
