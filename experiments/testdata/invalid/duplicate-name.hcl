experiment "dups" {}

experiment "again" {} # ERROR: Duplicate experiment block

component "shop" {
  process {
    command = ["./shop", self.listen]
  }
}

component "shop" { # ERROR: Duplicate component
  process {
    command = ["./shop2", self.listen]
  }
}

component "two-runtimes" {
  process {
    command = ["./a", self.listen]
  }
  process { # ERROR: Duplicate runtime block
    command = ["./b", self.listen]
  }
}

workload "browse" {
  http {
    target = component.shop
    rate   = 10
  }
  http { # ERROR: Duplicate generator block
    target = component.shop
    rate   = 20
  }
}

workload "browse" { # ERROR: Duplicate workload
  http {
    target = component.shop
    rate   = 10
  }
}

failure_mode "slow" {
  component  = component.shop
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "latency" {
    delay = "1s"
  }
}

failure_mode "slow" { # ERROR: Duplicate failure mode
  component  = component.shop
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "reset" {}
}

hypothesis "h" {
  failure_mode = failure_mode.slow
  workload     = workload.browse
  expect       = "steady"
}

hypothesis "h" { # ERROR: Duplicate hypothesis
  failure_mode = failure_mode.slow
  workload     = workload.browse
  expect       = "steady"
}
