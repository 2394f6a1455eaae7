experiment "expressions" {}

component "shop" {
  process {
    command = ["./shop", "-listen", self.lisen] # ERROR: Unsupported attribute
    env = {
      PRICES  = component.prices.url # ERROR: Reference to undeclared component
      CART    = component.shop.uri # ERROR: Unsupported attribute
      WHOLE   = component.shop # ERROR: Invalid reference
      SELF    = self # ERROR: Invalid reference
      VAR     = var.prices # ERROR: Unknown variable
      LIST    = ["a"] # ERROR: Incorrect value type
    }
  }
}

component "types" {
  process {
    command = "./types" # ERROR: Incorrect value type
    env     = ["A=b"] # ERROR: Incorrect value type
  }
}

component "empty" {
  process {
    command = [] # ERROR: Empty command
    env     = { "" = "x" } # ERROR: Invalid environment variable name
  }
}

component "functions" {
  process {
    command = [upper("x")] # ERROR: Function calls not allowed
    listen  = self.listen # ERROR: Variables not allowed
    dir     = "" # ERROR: Invalid directory
  }
}

workload "w" {
  http {
    target = component.shop
    rate   = 10
    path   = component.shop.url # ERROR: Variables not allowed
  }
}

hypothesis "h" {
  failure_mode = failure_mode.none # ERROR: Reference to undeclared failure mode
  workload     = workload.w
  expect       = "steady"
}
