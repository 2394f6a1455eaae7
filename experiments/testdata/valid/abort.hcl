# An abort block with every argument: a fault is reverted as soon as
# checkout degrades badly, and the run stops there.

experiment "guarded" {
  baseline = "30s"
  fault    = "20s"
  recovery = "20s"
  window   = "2s"
}

abort {
  outlier_fraction = 0.6
  windows          = 3
  error_rate       = 0.25
  max_duration     = "10m"
  then             = "stop"
}

component "api" {
  process {
    command = ["./bin/api", "-listen", self.listen]
  }
}

workload "checkout" {
  http {
    target = component.api
    path   = "/checkout"
    rate   = 50
  }
}

failure_mode "api-slow" {
  component  = component.api
  severity   = 6
  occurrence = 4
  detection  = 5
  fault "latency" {
    delay = "500ms"
  }
}

hypothesis "checkout-tolerates-slow-api" {
  failure_mode = failure_mode.api-slow
  workload     = workload.checkout
  expect       = "steady"
}
