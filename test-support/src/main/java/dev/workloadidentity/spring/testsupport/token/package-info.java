/** Minting and checking the JWTs that pass between the fakes. */
@NullMarked
package dev.workloadidentity.spring.testsupport.token;

import org.jspecify.annotations.NullMarked;
