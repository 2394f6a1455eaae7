# Three independent mistakes, all reported at once.

experiment "checkout" {
  baseline = "60s"
  windw    = "5s" # ERROR: Unsupported argument
}

component "api" {
  function = "Serve checkout requests"
  process {
    command = ["./bin/api", "-listen", self.listen]
  }
}

component "cache" {
  function = "Serve cached prices"
  process {
    command = ["./bin/cache", "-listen", self.listen]
  }
}

workload "browse" {
  http {
    target = component.api
    path   = "/checkout"
    rate   = 200
  }
}

failure_mode "cache-slow" {
  component  = component.cahce # ERROR: Reference to undeclared component
  severity   = 6
  occurrence = 4
  detection  = 5
  fault "latency" {
    delay = "200ms"
  }
}

hypothesis "checkout-tolerates-slow-cache" {
  failure_mode = failure_mode.cache-slow
  workload     = workload.browse
  expect       = "steady"
  within       = "20s" # ERROR: Unexpected within
}
