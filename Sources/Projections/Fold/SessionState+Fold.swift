import Payloads

extension SessionState {
    /// Folds one accepted record of this session (SPEC §4.1). Records must come in offset order.
    public func apply(_ payload: Payload, offset: Int64) {
        switch payload {
        case .v3(let session): apply(session, offset: offset)
        case .v2(let context): apply(context)
        case .v1(let event): apply(event, offset: offset)
        }
    }

    /// True until the first record is folded.
    var isEmpty: Bool { siteID.isEmpty }

    private func identify(siteID: PayloadText, userID: PayloadText) {
        guard isEmpty else { return }
        self.siteID = FoldText.clean(siteID) ?? siteID.string
        self.userID = FoldText.clean(userID) ?? userID.string
    }

    private func fillContext(_ incoming: SessionContext) {
        let values: [PayloadText?] = [incoming.segmentID, incoming.abTestID, incoming.abTestVariantID, incoming.campaignID, incoming.landingPageID]
        for field in ContextField.allCases where context[field.rawValue] == nil {
            context[field.rawValue] = FoldText.clean(values[field.rawValue])
        }
    }

    private func apply(_ session: V3SessionPayload, offset: Int64) {
        identify(siteID: session.siteID, userID: session.userID)
        sentAtV3Min = min(sentAtV3Min ?? session.sentAtMs, session.sentAtMs)
        fillContext(session.context)
        touchV2V3.fillAbsent(from: session.touch)
        for (index, action) in session.actions.enumerated() {
            let seq = session.checkpoint + Int64(index)
            switch action {
            case .pageview(let page):
                let kept = pagesV3[page.pageNumber]
                pagesV3[page.pageNumber] = PageRow(
                    pageNumber: page.pageNumber, path: FoldText.clean(page.path, keeping: kept?.path) ?? page.path.string,
                    url: FoldText.clean(page.url, keeping: kept?.url), title: FoldText.clean(page.title, keeping: kept?.title),
                    enteredAtMs: page.enteredAtMs, durationMs: page.durationMs, scroll: page.scroll.map(Double.init), version: offset)
            case .goal(let goal):
                let token = GoalToken.v3(seq: seq)
                goals[token] = GoalRow(
                    token: token, pageNumber: goal.pageNumber, name: FoldText.clean(goal.name, keeping: goals[token]?.name), atMs: goal.atMs,
                    value: goal.value, order: seq)
            }
        }
    }

    private func apply(_ context: V2SessionContext) {
        identify(siteID: context.siteID, userID: context.userID)
        startedAtV2Min = min(startedAtV2Min ?? context.startedAtMs, context.startedAtMs)
        fillContext(context.context)
        if context.kind == .renew, renewedFrom == nil, let old = FoldText.clean(context.oldSessionID) {
            renewedFrom = old
        }
        if let current = context.current { touchV2V3.fillAbsent(from: current) }
        if let original = context.original { originalTouch.fillAbsent(from: original) }
    }

    private func apply(_ event: V1Event, offset: Int64) {
        let eventID = event.eventID.string
        guard eventIDsV1.insert(eventID).inserted else { return }
        identify(siteID: event.siteID, userID: event.userID)
        let time = event.timestampMs
        timeV1Min = min(timeV1Min ?? time, time)
        timeV1Max = max(timeV1Max ?? time, time)
        fillContext(event.context)
        let pageURL = FoldText.clean(event.pageURL)
        switch event.eventType {
        case .pageview:
            if !pagesV1.isEmpty { pagesV1[pagesV1.count - 1].nextEnteredAtMs = time }
            let parts = URLParts(pageURL ?? "")
            pagesV1.append(V1Page(path: parts.pagePath, url: pageURL, enteredAtMs: time, version: offset))
            if touchV1 == nil { touchV1 = TouchFields(landingURL: pageURL, referrer: FoldText.clean(event.referrerURL)) }
        case .click, .formSubmit, .scroll, .conversion:
            if !pagesV1.isEmpty {
                let current = pagesV1.count - 1
                pagesV1[current].laterEventMaxMs = max(pagesV1[current].laterEventMaxMs ?? time, time)
                if event.eventType == .scroll, let scroll = event.scrollPercentage {
                    pagesV1[current].scrollMax = max(pagesV1[current].scrollMax ?? scroll, scroll)
                }
            }
            if event.eventType == .conversion {
                goals[.v1(eventID: eventID)] = GoalRow(
                    token: .v1(eventID: eventID), pageNumber: pagesV1.count, name: "conversion", atMs: time,
                    value: Self.goalValue(event.eventValue), order: offset)
            }
        }
    }

    /// A V1 `event_value`: a JSON number as is; a string only when it is exactly a JSON number literal; else 0.
    static func goalValue(_ value: V1Event.Value?) -> Double {
        switch value {
        case .number(let number): number
        case .string(let text): JSONNumberLiteral.value(of: text.string) ?? 0
        case nil: 0
        }
    }
}

extension TouchFields {
    /// Fills each absent field with the cleaned value of `touch` (first non-absent value wins);
    /// fields already set are not even looked at.
    mutating func fillAbsent(from touch: Touch) {
        guard values.contains(where: { $0 == nil }) else { return }
        let paths: [KeyPath<Touch, PayloadText?>] = [
            \.utmSource, \.utmMedium, \.utmCampaign, \.utmTerm, \.utmContent, \.ref, \.source, \.referrer, \.landingPage,
        ]
        for (index, path) in paths.enumerated() where values[index] == nil { values[index] = FoldText.clean(touch[keyPath: path]) }
    }

    /// The V1 touch: the landing URL's query (`utm_*`, `ref`, `source`), the referrer (already
    /// cleaned), and the URL itself.
    init(landingURL: String?, referrer: String?) {
        self.init()
        let query = landingURL.map { URLParts($0).queryParameters } ?? [:]
        self[.utmSource] = FoldText.clean(query["utm_source"])
        self[.utmMedium] = FoldText.clean(query["utm_medium"])
        self[.utmCampaign] = FoldText.clean(query["utm_campaign"])
        self[.utmTerm] = FoldText.clean(query["utm_term"])
        self[.utmContent] = FoldText.clean(query["utm_content"])
        self[.ref] = FoldText.clean(query["ref"])
        self[.source] = FoldText.clean(query["source"])
        self[.referrer] = referrer
        self[.landingPage] = landingURL
    }
}

/// RFC 8259's number grammar, exactly: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
enum JSONNumberLiteral {
    static func value(of text: String) -> Double? {
        var bytes = Substring(text).utf8[...]
        func digits() -> Int {
            let count = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        if bytes.first == UInt8(ascii: "0") {
            bytes = bytes.dropFirst()
        } else if digits() == 0 {
            return nil
        }
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            guard digits() > 0 else { return nil }
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return nil }
        }
        guard bytes.isEmpty, let value = Double(text), value.isFinite else { return nil }
        return value
    }
}
