/* SPDX-License-Identifier: MIT */
/* The C++ consumer: the same program as consumer.c, compiled as C++11 against the installed
 * headers (their inline fast paths included). */
#include "consumer.c"

#include <string>

int main()
{
    std::string version = cmio_version_string();
    if (version != CMIO_VERSION_STRING)
        return 1;
    return consumer_main("C++");
}
