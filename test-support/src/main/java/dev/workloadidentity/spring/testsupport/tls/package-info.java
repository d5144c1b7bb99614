/** TLS certificate and trust for the fake Azure servers. */
@NullMarked
package dev.workloadidentity.spring.testsupport.tls;

import org.jspecify.annotations.NullMarked;
