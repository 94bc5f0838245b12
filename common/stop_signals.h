// How a dkv daemon's main waits for SIGTERM/SIGINT without doing work in a signal handler.
//
//   int main() {
//     dkv::BlockStopSignals();   // first, before any thread exists: every thread inherits the mask
//     ... start the daemon ...
//     int sig = dkv::WaitForStopSignal();
//     ... shut down ...
//   }
#pragma once

#include <chrono>

namespace dkv {

// Blocks SIGTERM and SIGINT in the calling thread (and so in threads it starts later), and
// ignores SIGPIPE: a peer closing its socket must surface as an error, not kill the process.
void BlockStopSignals();

// Waits until SIGTERM or SIGINT arrives; returns its number.
int WaitForStopSignal();

// As WaitForStopSignal, for at most `timeout`; 0 when none arrived meanwhile.
int WaitForStopSignal(std::chrono::milliseconds timeout);

}  // namespace dkv
