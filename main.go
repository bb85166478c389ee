// Command lowdim runs experiments on low-dimensional structure in data and
// models as Apache Beam batch pipelines, and is also the Beam worker binary.
//
//	lowdim run SPEC.yaml [--out DIR] [--runner prism|direct|universal|flink|dataflow] [Beam flags]
//	lowdim validate SPEC.yaml
//	lowdim report OUT
//	lowdim version
//
// Everything lives in package internal/cli; see README.md, section Layout.
package main

import (
	"os"

	"github.com/lowdim/lowdim/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

func main() { os.Exit(cli.Main(os.Args[1:], version)) }
