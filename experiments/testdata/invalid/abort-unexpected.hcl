experiment "unexpected" {}

abort {
  max_duration = "30m"
  windows      = 3 # ERROR: Unexpected windows
  then         = "stop" # ERROR: Unexpected then
}

component "api" {
  process {
    command = ["./api", self.listen]
  }
}

workload "w" {
  http {
    target = component.api
    rate   = 10
  }
}

failure_mode "down" {
  component  = component.api
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "kill" {}
}

hypothesis "h" {
  failure_mode = failure_mode.down
  workload     = workload.w
  expect       = "steady"
}
