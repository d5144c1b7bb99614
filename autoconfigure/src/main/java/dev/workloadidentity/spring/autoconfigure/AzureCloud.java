package dev.workloadidentity.spring.autoconfigure;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The Azure clouds a workload identity can live in, with the Entra authority host and the Azure Resource Manager
 * scope of each. Names match Spring Cloud Azure's {@code spring.cloud.azure.profile.cloud-type}.
 */
enum AzureCloud {

    AZURE("the Azure public cloud", "https://login.microsoftonline.com/", "https://management.azure.com/.default",
            ".windows.net", ".azure.net", ".azure.com"),

    AZURE_US_GOVERNMENT("Azure US Government", "https://login.microsoftonline.us/",
            "https://management.usgovcloudapi.net/.default", ".usgovcloudapi.net"),

    AZURE_CHINA("Azure China", "https://login.chinacloudapi.cn/", "https://management.chinacloudapi.cn/.default",
            ".chinacloudapi.cn", ".azure.cn");

    private final String label;

    private final String authorityHost;

    private final String resourceManagerScope;

    /** Host suffixes of the cloud's service endpoints (Key Vault, Storage, Service Bus …). */
    private final List<String> serviceDomains;

    AzureCloud(String label, String authorityHost, String resourceManagerScope, String... serviceDomains) {
        this.label = label;
        this.authorityHost = authorityHost;
        this.resourceManagerScope = resourceManagerScope;
        this.serviceDomains = List.of(serviceDomains);
    }

    String label() {
        return this.label;
    }

    String authorityHost() {
        return this.authorityHost;
    }

    String resourceManagerScope() {
        return this.resourceManagerScope;
    }

    /** The cloud named by a Spring Cloud Azure cloud type, if it is one of ours ("OTHER" is not). */
    static Optional<AzureCloud> fromCloudType(String cloudType) {
        String name = cloudType.trim().toUpperCase(Locale.ROOT);
        return Arrays.stream(values()).filter((cloud) -> cloud.name().equals(name)).findFirst();
    }

    /** The cloud an authority host belongs to; hosts of private clouds and local fakes count as public. */
    static AzureCloud fromAuthorityHost(String authorityHost) {
        String host = withTrailingSlash(authorityHost.trim().toLowerCase(Locale.ROOT));
        return Arrays.stream(values()).filter((cloud) -> cloud.authorityHost.equals(host)).findFirst().orElse(AZURE);
    }

    /** The cloud an authority host is the Entra endpoint of, if it is one of the three. */
    static Optional<AzureCloud> ofKnownAuthorityHost(String authorityHost) {
        String host = withTrailingSlash(authorityHost.trim().toLowerCase(Locale.ROOT));
        return Arrays.stream(values()).filter((cloud) -> cloud.authorityHost.equals(host)).findFirst();
    }

    /** The cloud a service endpoint's host belongs to, if it is one of the three. */
    static Optional<AzureCloud> ofServiceHost(String host) {
        String lower = host.toLowerCase(Locale.ROOT);
        return Arrays.stream(values())
            .filter((cloud) -> cloud.serviceDomains.stream().anyMatch(lower::endsWith))
            .findFirst();
    }

    private static String withTrailingSlash(String url) {
        return url.endsWith("/") ? url : url + "/";
    }

}
