/** Azure Blob Storage for tests: the Azurite emulator, run as a child process over HTTPS with OAuth on. */
@NullMarked
package dev.workloadidentity.spring.testsupport.storage;

import org.jspecify.annotations.NullMarked;
