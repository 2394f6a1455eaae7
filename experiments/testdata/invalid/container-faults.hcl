# Fault kinds that do not fit the target's runtime, and mistakes in the
# arguments of container faults.

experiment "container-faults" {}

component "prices" {
  process {
    command = ["./prices", self.listen]
  }
}

component "cache" {
  container {
    image = "cache"
    port  = 6379
  }
}

workload "w" {
  http {
    target = component.prices
    rate   = 10
  }
}

failure_mode "prices-stopped" {
  component  = component.prices
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "stop" {} # ERROR: Fault needs a container
  fault "cpu" { # ERROR: Fault needs a container
    cpus = 0.5
  }
  fault "kill" {}
  fault "blackhole" {}
}

failure_mode "cache-wrong" {
  component  = component.cache
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "blackhole" {} # ERROR: Fault needs a process
  fault "limit_data" { # ERROR: Fault needs a process
    bytes = 10
  }
  fault "stpo" {} # ERROR: Unsupported fault kind
  fault "bandwidth" {
    rate      = "1MB/s"
    direction = "upstream" # ERROR: Unsupported argument
  }
}

failure_mode "cache-bad-args" {
  component  = component.cache
  severity   = 5
  occurrence = 5
  detection  = 5
  fault "exec" { # ERROR: Missing required argument
    revert = ["/cache", "-warm"]
  }
  fault "exec" {
    command = [] # ERROR: Empty command
    revert  = ["", "-warm"] # ERROR: Empty command
  }
  fault "exec" {
    command = ["/cache", self.listen] # ERROR: Variables not allowed
  }
  fault "loss" {
    percent = 0 # ERROR: Value out of range
  }
  fault "loss" {
    percent = 150 # ERROR: Value out of range
  }
  fault "loss" {} # ERROR: Missing required argument
  fault "cpu" {
    cpus = 0 # ERROR: Value out of range
  }
  fault "cpu" {} # ERROR: Missing required argument
  fault "memory" {
    limit = "1MiB" # ERROR: Value out of range
  }
  fault "memory" {} # ERROR: Missing required argument
  fault "kill" {
    signal = "SIGSTOP" # ERROR: Invalid signal
  }
  fault "partition" {
    after = "1s" # ERROR: Unsupported argument
  }
}

hypothesis "h" {
  failure_mode = failure_mode.cache-wrong
  workload     = workload.w
  expect       = "steady"
}
