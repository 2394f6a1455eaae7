# ERROR: Missing experiment block # WARNING: No hypotheses

component "api" {
  process {
    command = ["./api", self.listen]
  }
}
