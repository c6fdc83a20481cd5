package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"sort"
)

// benchCommands holds the workloads of `quiver bench`, registered by the
// files that bind their flags.
var benchCommands = map[string]command{}

func registerBench(name, summary string, run func(ctx context.Context, args []string) error) {
	if _, dup := benchCommands[name]; dup {
		panic("quiver: bench workload registered twice: " + name)
	}
	benchCommands[name] = command{summary: summary, run: run}
}

func init() {
	register("bench", "run a benchmark workload (quiver bench <workload> -h)", runBench)
}

func runBench(ctx context.Context, args []string) error {
	if len(args) == 0 || benchCommands[args[0]].run == nil {
		fmt.Fprintf(os.Stderr, "usage: quiver bench <workload> [flags]\n\nworkloads:\n")
		names := make([]string, 0, len(benchCommands))
		for name := range benchCommands {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			fmt.Fprintf(os.Stderr, "  %-10s %s\n", name, benchCommands[name].summary)
		}
		if len(args) == 0 {
			return fmt.Errorf("no workload named")
		}
		return fmt.Errorf("unknown workload %q", args[0])
	}
	return benchCommands[args[0]].run(ctx, args[1:])
}

// startCPUProfile profiles the process into path until stop is called; an
// empty path profiles nothing.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
