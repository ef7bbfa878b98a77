#pragma once
// Every kernel imgshard knows, in the order --list-kernels shows them.
#include <string>
#include <string_view>
#include <vector>

#include "kernels/kernel.hpp"

namespace imgshard::kernels {

const std::vector<const KernelSpec*>& all_kernels();
const KernelSpec* find_kernel(std::string_view name);  // nullptr when unknown

// Text for --list-kernels and the Markdown table in README.md, from the declarations.
std::string list_kernels_text();
std::string kernels_markdown_table();

// Parses and validates one argument value against its declaration; returns the canonical
// text. Throws KernelError "<kernel>: <arg> must be ..., got ...".
std::string validate_arg(const KernelSpec& kernel, const ArgSpec& arg, std::string_view value);

// Checks `in` against the kernel's declared Input (no step takes layout=chw's planes; a u8
// step does not take float32). Throws KernelError "<kernel>: cannot follow ..." or "needs uint8".
void check_input(const KernelSpec& kernel, const ImageShape& in);

}  // namespace imgshard::kernels
