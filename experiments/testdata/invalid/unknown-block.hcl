experiment "blocks" {}

component "api" {
  proces { # ERROR: Unsupported block type
    command = ["./api", self.listen]
  }
}

component "db" {
  endpont { # ERROR: Unsupported block type
    address = "127.0.0.1:5432"
  }
}

component "cache" {
  process {
    command = ["./cache", self.listen]
    readiness { # ERROR: Unsupported block type
      http = "/"
    }
  }
}

workload "w" {
  grpc { # ERROR: Unsupported block type
    target = component.api
  }
}

failure_mode "slow" {
  component  = component.api
  severity   = 5
  occurrence = 5
  detection  = 5
  faults "latency" { # ERROR: Unsupported block type
    delay = "1s"
  }
}

failure_mode "slower" {
  component  = component.api
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "latency" {
    delay {} # ERROR: Unsupported block type
  }
}

hypothesis "h" {
  failure_mode = failure_mode.slow
  workload     = workload.w
  expect       = "steady"
}

variable "x" {} # ERROR: Unsupported block type
