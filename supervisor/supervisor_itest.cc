// placeholder, filled in next
#include <gtest/gtest.h>
