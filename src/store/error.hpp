#pragma once
// What every failure of store/ throws: a one-line message for the user (the run's exit 2).
#include <stdexcept>

namespace imgshard::store {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace imgshard::store
