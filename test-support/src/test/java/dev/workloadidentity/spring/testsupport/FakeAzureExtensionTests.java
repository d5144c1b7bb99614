package dev.workloadidentity.spring.testsupport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.mockito.Mockito.mock;

class FakeAzureExtensionTests {

    @RegisterExtension
    static final FakeAzureExtension azure = new FakeAzureExtension(FakeAzure.builder().keyVault());

    private static FakeAzure seenInBeforeAll;

    @BeforeAll
    static void seeTheFakeBeforeAll(FakeAzure fakeAzure) {
        seenInBeforeAll = fakeAzure;
    }

    @Test
    void startsOnceForTheClassAndResolvesParameters(FakeAzure fakeAzure) {
        assertThat(fakeAzure).isSameAs(azure.get()).isSameAs(seenInBeforeAll);
        assertThat(fakeAzure.keyVault().vaultUrl()).startsWith("https://127.0.0.1:");
    }

    @Test
    void stopsAfterTheClass() {
        FakeAzureExtension extension = new FakeAzureExtension();
        ExtensionContext context = mock(ExtensionContext.class);
        assertThatIllegalStateException().isThrownBy(extension::get);

        extension.beforeAll(context);
        FakeAzure running = extension.get();
        extension.beforeEach(context);
        assertThat(extension.get()).isSameAs(running);
        extension.afterEach(context);
        assertThat(extension.get()).isSameAs(running);
        extension.afterAll(context);

        assertThatIllegalStateException().isThrownBy(extension::get);
    }

    @Test
    void onAnInstanceFieldItLivesForOneTest() {
        FakeAzureExtension extension = new FakeAzureExtension();
        ExtensionContext context = mock(ExtensionContext.class);

        extension.beforeEach(context);
        int port = extension.get().entra().port();
        assertThat(canBind(port)).isFalse();
        extension.afterEach(context);

        assertThatIllegalStateException().isThrownBy(extension::get);
        assertThat(canBind(port)).isTrue();
    }

    private static boolean canBind(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        }
        catch (IOException ex) {
            return false;
        }
    }

}
