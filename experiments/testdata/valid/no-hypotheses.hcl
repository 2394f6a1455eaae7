# A file with no hypothesis is valid, with a warning: it measures but judges nothing.

experiment "survey" { # WARNING: No hypotheses
  baseline = "30s"
}

component "api" {
  process {
    command = ["./bin/api", "-listen", self.listen]
  }
}
