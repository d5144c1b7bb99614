/** Reading and writing the JSON bodies and JWT parts the fakes exchange, on {@code com.azure:azure-json}. */
@NullMarked
package dev.workloadidentity.spring.testsupport.json;

import org.jspecify.annotations.NullMarked;
