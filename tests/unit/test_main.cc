#include <gtest/gtest.h>

#include "hotline/crypto.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (!hotline::InitCrypto().ok()) return 2;
  return RUN_ALL_TESTS();
}
