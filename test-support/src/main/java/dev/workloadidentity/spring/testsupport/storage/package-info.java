/**
 * Azure Blob Storage for tests: the Azurite emulator as a child process over HTTPS with OAuth on, behind a
 * gateway that checks token signatures and role assignments, which Azurite does not.
 */
@NullMarked
package dev.workloadidentity.spring.testsupport.storage;

import org.jspecify.annotations.NullMarked;
