/** HTTPS server plumbing the fake Azure services share: loopback binding, TLS, bodies and JSON replies. */
@NullMarked
package dev.workloadidentity.spring.testsupport.http;

import org.jspecify.annotations.NullMarked;
