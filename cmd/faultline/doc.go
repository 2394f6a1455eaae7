// Command faultline runs chaos experiments described in HCL and judges
// their hypotheses with 2-sigma cohort analysis.
//
// The command line is thin: one file per cobra command, each parsing its
// flags into a struct, calling the packages, and handing the result to a
// view. Exit codes are mapped in exitcode.go and nowhere else. Logic lives
// in the packages: experiments, runner, observe, verdict.
package main
