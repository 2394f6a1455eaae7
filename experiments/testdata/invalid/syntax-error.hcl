experiment "broken" { # ERROR: Unclosed configuration block
  baseline = "20s"

component "api" {
  process {
    command = ["./api", self.listen]
  }
}
