// Reference for docs/decisions/0002: simdjson 3.0 (Debian libsimdjson-dev) DOM-parsing each NDJSON line
// of a file, one core, repeated for ~1 s. Prints MB/s and lines/s.
//   g++ -O3 -std=c++17 simdjson_parse.cpp -lsimdjson -o simdjson_parse && ./simdjson_parse traffic.ndjson
#include <simdjson.h>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) { fprintf(stderr, "usage: simdjson_parse FILE\n"); return 2; }
  std::ifstream in(argv[1]);
  std::vector<simdjson::padded_string> lines;
  size_t bytes = 0;
  for (std::string line; std::getline(in, line);) { bytes += line.size(); lines.emplace_back(line); }
  simdjson::dom::parser parser;
  size_t rounds = 0, failures = 0;
  auto start = std::chrono::steady_clock::now();
  double seconds = 0;
  do {
    for (auto& line : lines) { simdjson::dom::element doc; if (parser.parse(line).get(doc)) failures++; }
    rounds++;
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (seconds < 1.0);
  printf("simdjson DOM parse: %.0f MB/s, %.0f lines/s (%zu failures)\n", bytes * rounds / seconds / 1e6, lines.size() * rounds / seconds, failures / rounds);
}
