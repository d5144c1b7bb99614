/** A local fake Azure for workload-identity tests: {@link dev.workloadidentity.spring.testsupport.FakeAzure} and its JUnit extension. */
@NullMarked
package dev.workloadidentity.spring.testsupport;

import org.jspecify.annotations.NullMarked;
