// The system zlib (zlib1g; the operator's image already ships it): the ClusterSimulator inflates the
// OpenAPI documents it embeds gzip-compressed.
#include <zlib.h>
