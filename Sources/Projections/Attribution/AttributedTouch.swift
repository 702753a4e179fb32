/// A touch as the attribution projection stores it (SPEC §4.5): source and medium resolved
/// (referrer domain, click ids), values trimmed, source and medium lower-cased, and its channel.
public struct AttributedTouch: Equatable, Sendable {
    public var source, medium, campaign, term, content, referrerDomain, landingPage: String?
    public var channel: String

    init(_ touch: TouchFields, rules: ChannelRules, paid: PaidMediumMatcher) {
        let landing = touch[.landingPage].map(URLParts.init)
        var referrerDomain: String?
        if let referrer = touch[.referrer].map(URLParts.init), referrer.isHTTP, let host = referrer.normalizedHost,
            host != landing?.normalizedHost
        {
            referrerDomain = host
        }
        var source = touch[.utmSource] ?? touch[.source] ?? touch[.ref] ?? referrerDomain
        var medium = touch[.utmMedium]
        if medium == nil, let landing, landing.scheme != nil {
            let query = landing.queryParameters
            let present = { (name: String) in FoldText.clean(query[name]) != nil }
            if present("gclid") || present("gbraid") || present("wbraid") {
                medium = "cpc"
                source = source ?? "google"
            } else if present("msclkid") {
                medium = "cpc"
                source = source ?? "bing"
            }
        }
        self.source = FoldText.clean(source?.lowercased())
        self.medium = FoldText.clean(medium?.lowercased())
        campaign = touch[.utmCampaign]
        term = touch[.utmTerm]
        content = touch[.utmContent]
        self.referrerDomain = referrerDomain
        landingPage = touch[.landingPage]
        channel = rules.channel(source: self.source, medium: self.medium, paidMedium: paid.isPaid)
    }
}
