experiment "refs" {}

component "shop" {
  process {
    command = ["./shop", self.listen]
  }
}

workload "browse" {
  http {
    target = component.shpo # ERROR: Reference to undeclared component
    rate   = 10
  }
}

failure_mode "shop-slow" {
  component  = component.cart # ERROR: Reference to undeclared component
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "latency" {
    delay = "1s"
  }
}

hypothesis "h1" {
  failure_mode = failure_mode.shop-slwo # ERROR: Reference to undeclared failure mode
  workload     = workload.browze # ERROR: Reference to undeclared workload
  expect       = "steady"
}

hypothesis "h2" {
  failure_mode = faliure_mode.shop-slow # ERROR: Invalid reference
  workload     = workload.browse.path # ERROR: Invalid reference
  expect       = "steady"
}
