experiment "broken" {
  baseline = "20s"
  fault    = "10q"
  recovery = "10s"
}

component "api" {
  function = "Serve"
  process {
    comand = ["./bin/api", "-listen", self.listen]
  }
}

workload "browse" {
  http {
    target = component.api
    rate   = 10
  }
}

hypothesis "h" {
  failure_mode = failure_mode.missing
  workload     = workload.browse
  expect       = "steady"
}
