// The one translation unit that compiles Boost.Asio (with its TLS support) and Boost.Beast (separate
// compilation: every other file includes their headers without instantiating the implementation again).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
