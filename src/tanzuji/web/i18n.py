"""The web platform's languages and its one message catalogue (简体中文 default, English).

Every text a page or an API error shows is a key of :data:`MESSAGES` with its Chinese and
English wording — the public pages, the role pages (enterprise, verifier, operator, data
steward) and the error titles alike: there is no other catalogue. Templates call ``t("key")``
(``tr("key", default)`` where a data value may have no entry) and the error handler uses the
``error.*`` keys. The language of a request is, in order: ``?lang=zh|en`` (which also sets the
``lang`` cookie), the ``lang`` cookie, then Chinese.

``tests/test_web_i18n.py`` checks that every entry has non-empty Chinese and English and that
every key a template names exists; keys a template makes from a value (``state.<State>``,
``label.<LabelType>``, ``app.step.<step>``, ``app.event.<event>``, ``iso.<Iso14067Lines
field>``) are checked there against those enumerations.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
COOKIE = "lang"

#: key -> {"zh": ..., "en": ...}. Grouped by page; ``error.<code>`` titles the JSON errors.
MESSAGES: dict[str, dict[str, str]] = {
    # layout
    "site.name": {"zh": "碳足迹平台", "en": "Tanzuji carbon footprint platform"},
    "site.tagline": {
        "zh": "产品碳足迹（ISO 14067）与碳足迹标识认证",
        "en": "Product carbon footprints (ISO 14067) and carbon-footprint label certification",
    },
    "nav.home": {"zh": "首页", "en": "Home"},
    "nav.catalogue": {"zh": "认证产品目录", "en": "Certified products"},
    "nav.log": {"zh": "透明日志", "en": "Transparency log"},
    "nav.jobs": {"zh": "后台任务", "en": "Jobs"},
    "nav.admin": {"zh": "机构与用户", "en": "Organisations and users"},
    "nav.tokens": {"zh": "API 令牌", "en": "API tokens"},
    "nav.login": {"zh": "登录", "en": "Log in"},
    "nav.logout": {"zh": "退出", "en": "Log out"},
    "nav.language": {"zh": "语言", "en": "Language"},
    "nav.skip": {"zh": "跳到正文", "en": "Skip to content"},
    "nav.signed_in_as": {"zh": "当前用户", "en": "Signed in as"},
    "footer.api": {"zh": "API 文档（OpenAPI）", "en": "API document (OpenAPI)"},
    # home
    "home.title": {"zh": "欢迎", "en": "Welcome"},
    "home.public": {
        "zh": "任何人都可以查询认证产品、核验证书和查看透明日志，无需登录。",
        "en": "Anyone can look up certified products, check certificates and read the "
        "transparency log without logging in.",
    },
    "home.check": {"zh": "核验证书", "en": "Check a certificate"},
    "home.certificate_id": {"zh": "证书编号", "en": "Certificate id"},
    "home.go": {"zh": "查看", "en": "Open"},
    # login
    "login.title": {"zh": "登录", "en": "Log in"},
    "login.user": {"zh": "用户名", "en": "User name"},
    "login.password": {"zh": "密码", "en": "Password"},
    "login.submit": {"zh": "登录", "en": "Log in"},
    "login.failed": {"zh": "用户名或密码错误", "en": "Wrong user name or password"},
    "login.logged_out": {"zh": "已退出登录", "en": "You are logged out"},
    # certificate page
    "cert.title": {"zh": "碳足迹标识证书", "en": "Carbon-footprint label certificate"},
    "cert.product": {"zh": "产品", "en": "Product"},
    "cert.company": {"zh": "企业", "en": "Company"},
    "cert.value": {"zh": "碳足迹", "en": "Carbon footprint"},
    "cert.unit": {"zh": "声明单位", "en": "Declared unit"},
    "cert.stages": {"zh": "生命周期阶段", "en": "Life cycle stages"},
    "cert.stage": {"zh": "阶段", "en": "Stage"},
    "cert.share": {"zh": "占比", "en": "Share"},
    "cert.label": {"zh": "标识", "en": "Label"},
    "cert.label_type": {"zh": "标识类型", "en": "Label type"},
    "cert.pcr": {"zh": "产品种类规则（PCR）", "en": "Product category rules (PCR)"},
    "cert.release": {"zh": "排放因子版本", "en": "Emission factor release"},
    "cert.validity": {"zh": "有效期", "en": "Validity"},
    "cert.status": {"zh": "状态", "en": "Status"},
    "cert.body": {"zh": "认证机构", "en": "Certification body"},
    "cert.version": {"zh": "证书版本", "en": "Certificate version"},
    "cert.checks": {"zh": "签名与日志证明", "en": "Signature and log proof"},
    "cert.checked_server": {"zh": "服务器已核验", "en": "Checked by the server"},
    "cert.recheck": {"zh": "重新核验", "en": "Check again"},
    "cert.recheck_running": {"zh": "正在核验……", "en": "Checking…"},
    "cert.valid": {"zh": "证书有效", "en": "The certificate is valid"},
    "cert.invalid": {"zh": "证书无效", "en": "The certificate is NOT valid"},
    "cert.revoked": {
        "zh": "此证书已被撤销，不得再使用该标识。",
        "en": "This certificate has been REVOKED; the label may no longer be used.",
    },
    "cert.suspended": {
        "zh": "此证书已暂停，暂不得使用该标识。",
        "en": "This certificate is SUSPENDED; the label may not be used for now.",
    },
    "cert.expired": {"zh": "此证书已过期。", "en": "This certificate has EXPIRED."},
    "cert.superseded": {
        "zh": "此证书已被同一产品的新证书取代，请以新证书为准。",
        "en": "This certificate was SUPERSEDED by a newer certificate of the same product.",
    },
    "cert.qr_claim": {"zh": "二维码声明", "en": "QR code claim"},
    "cert.download_label": {"zh": "下载标识（PNG）", "en": "Download the label (PNG)"},
    "cert.download_document": {
        "zh": "下载证书文件（JSON）",
        "en": "Download the certificate (JSON)",
    },
    "cert.check": {"zh": "检查项", "en": "Check"},
    "cert.result": {"zh": "结果", "en": "Result"},
    "cert.ok": {"zh": "通过", "en": "passed"},
    "cert.failed": {"zh": "未通过", "en": "failed"},
    # catalogue
    "catalogue.title": {"zh": "认证产品目录", "en": "Catalogue of certified products"},
    "catalogue.intro": {
        "zh": "按类别查找已认证产品，比较其碳足迹（绿色采购）。",
        "en": "Find certified products by category and compare their footprints "
        "(green procurement).",
    },
    "catalogue.search": {"zh": "搜索", "en": "Search"},
    "catalogue.query": {"zh": "产品或企业名称", "en": "Product or company name"},
    "catalogue.category": {"zh": "类别（PCR）", "en": "Category (PCR)"},
    "catalogue.all": {"zh": "全部", "en": "All"},
    "catalogue.label": {"zh": "标识类型", "en": "Label type"},
    "catalogue.max_value": {"zh": "碳足迹上限", "en": "Footprint at most"},
    "catalogue.status": {"zh": "状态", "en": "Status"},
    "catalogue.only_valid": {"zh": "仅显示有效证书", "en": "Valid certificates only"},
    "catalogue.compare": {"zh": "比较所选", "en": "Compare selected"},
    "catalogue.select": {"zh": "选择比较", "en": "Select to compare"},
    "catalogue.none": {"zh": "没有符合条件的产品。", "en": "No product matches."},
    "catalogue.count": {"zh": "共 {total} 项", "en": "{total} found"},
    "catalogue.comparison": {"zh": "产品比较", "en": "Comparison"},
    "catalogue.compare_unit_warning": {
        "zh": "声明单位不同的产品不能直接比较。",
        "en": "Products with different declared units cannot be compared directly.",
    },
    "page.previous": {"zh": "上一页", "en": "Previous"},
    "page.next": {"zh": "下一页", "en": "Next"},
    # log
    "log.title": {"zh": "透明日志签名树头", "en": "Signed tree head of the transparency log"},
    "log.intro": {
        "zh": "每一次签发、暂停、恢复和撤销都追加到只增日志；树头由平台签名。",
        "en": "Every issue, suspension, reinstatement and revocation is appended to an "
        "append-only log; the platform signs its tree head.",
    },
    "log.size": {"zh": "日志条目数", "en": "Entries"},
    "log.root": {"zh": "根哈希", "en": "Root hash"},
    "log.signed_at": {"zh": "签名时间", "en": "Signed at"},
    "log.key": {"zh": "签名密钥", "en": "Signing key"},
    "log.signature": {"zh": "签名", "en": "Signature"},
    "log.empty": {"zh": "日志为空。", "en": "The log is empty."},
    # jobs
    "jobs.title": {"zh": "后台任务", "en": "Background jobs"},
    "jobs.id": {"zh": "编号", "en": "Id"},
    "jobs.kind": {"zh": "类型", "en": "Kind"},
    "jobs.state": {"zh": "状态", "en": "State"},
    "jobs.progress": {"zh": "进度", "en": "Progress"},
    "jobs.created": {"zh": "创建时间", "en": "Created"},
    "jobs.finished": {"zh": "完成时间", "en": "Finished"},
    "jobs.error": {"zh": "失败原因", "en": "Why it failed"},
    "jobs.result": {"zh": "结果", "en": "Result"},
    "jobs.none": {"zh": "暂无任务。", "en": "No jobs yet."},
    "jobs.message": {"zh": "说明", "en": "Message"},
    "jobs.download": {"zh": "下载结果文件", "en": "Download the result file"},
    "jobs.state.queued": {"zh": "排队中", "en": "queued"},
    "jobs.state.running": {"zh": "运行中", "en": "running"},
    "jobs.state.succeeded": {"zh": "已完成", "en": "succeeded"},
    "jobs.state.failed": {"zh": "失败", "en": "failed"},
    # admin
    "admin.title": {"zh": "机构、用户与令牌", "en": "Organisations, users and tokens"},
    "admin.organisations": {"zh": "机构", "en": "Organisations"},
    "admin.users": {"zh": "用户", "en": "Users"},
    "admin.id": {"zh": "编号", "en": "Id"},
    "admin.name": {"zh": "名称", "en": "Name"},
    "admin.kind": {"zh": "类型", "en": "Kind"},
    "admin.role": {"zh": "角色", "en": "Role"},
    "admin.organisation": {"zh": "机构", "en": "Organisation"},
    "admin.active": {"zh": "启用", "en": "Active"},
    "admin.change_role": {"zh": "更改角色或机构", "en": "Change role or organisation"},
    "admin.new_role": {"zh": "{user} 的新角色", "en": "New role of {user}"},
    "admin.new_organisation": {"zh": "{user} 的新机构", "en": "New organisation of {user}"},
    "admin.change": {"zh": "更改", "en": "Change"},
    "admin.role_changed": {
        "zh": "已更改 {user} 的角色与机构，自其下一次请求起生效。",
        "en": "The role and organisation of {user} are changed, from their next request on.",
    },
    "admin.role_rules": {
        "zh": "申请人属于企业，核查员与认证决定人属于认证机构，管理员与数据管理员属于平台运营方；"
        "最后一位在用的管理员不能被改为其他角色。每次更改都记入审计日志。",
        "en": "Applicants work for an enterprise, verifiers and decision makers for a "
        "certification body, administrators and data stewards for the platform operator; "
        "the last active administrator cannot be given another role. Every change is written "
        "to the audit log.",
    },
    "role.applicant": {"zh": "申请人", "en": "applicant"},
    "role.verifier": {"zh": "核查员", "en": "verifier"},
    "role.decision_maker": {"zh": "认证决定人", "en": "decision maker"},
    "role.administrator": {"zh": "管理员", "en": "administrator"},
    "role.data_steward": {"zh": "数据管理员", "en": "data steward"},
    "role.public": {"zh": "公众", "en": "public"},
    "tokens.title": {"zh": "API 令牌", "en": "API tokens"},
    "tokens.name": {"zh": "用途", "en": "Name"},
    "tokens.scopes": {"zh": "权限范围", "en": "Scopes"},
    "tokens.create": {"zh": "创建令牌", "en": "Create a token"},
    "tokens.created": {
        "zh": "新令牌（只显示一次，请妥善保存）：",
        "en": "New token (shown once; keep it safe):",
    },
    "tokens.revoke": {"zh": "撤销", "en": "Revoke"},
    "tokens.revoked": {"zh": "已撤销", "en": "revoked"},
    "status.valid": {"zh": "有效", "en": "valid"},
    "status.suspended": {"zh": "已暂停", "en": "suspended"},
    "status.revoked": {"zh": "已撤销", "en": "revoked"},
    "status.expired": {"zh": "已过期", "en": "expired"},
    "status.superseded": {"zh": "已被取代", "en": "superseded"},
    "status.invalid": {"zh": "核验未通过", "en": "not verified"},
    "status.any": {"zh": "全部状态", "en": "any status"},
    "stage.raw_materials": {"zh": "原材料获取", "en": "raw materials"},
    "stage.production": {"zh": "生产", "en": "production"},
    "stage.distribution": {"zh": "分销运输", "en": "distribution"},
    "stage.use": {"zh": "使用", "en": "use"},
    "stage.end_of_life": {"zh": "废弃处置", "en": "end of life"},
    "sort.label": {"zh": "排序", "en": "Sort by"},
    "sort.footprint": {"zh": "碳足迹从低到高", "en": "footprint, lowest first"},
    "sort.-footprint": {"zh": "碳足迹从高到低", "en": "footprint, highest first"},
    "sort.product": {"zh": "产品名称", "en": "product name"},
    "sort.newest": {"zh": "最新签发", "en": "newest first"},
    "cert.token_check": {"zh": "二维码中的签名声明", "en": "The signed claim in the QR code"},
    "cert.no_js": {
        "zh": "重新核验需要 JavaScript；也可下载证书文件后用 tanzuji verify 离线核验。",
        "en": "Checking again needs JavaScript; or download the certificate file and check it "
        "offline with tanzuji verify.",
    },
    "cert.per": {"zh": "每", "en": "per"},
    "cert.issued_at": {"zh": "签发时间", "en": "Issued at"},
    "cert.tree": {"zh": "日志证明（树大小）", "en": "Log proof (tree size)"},
    "cert.key": {"zh": "签名密钥", "en": "Signing key"},
    "app.title": {"zh": "申请", "en": "Application"},
    "app.models": {"zh": "模型版本", "en": "Model versions"},
    "app.version": {"zh": "版本", "en": "Version"},
    "common.yes": {"zh": "是", "en": "yes"},
    "common.no": {"zh": "否", "en": "no"},
    "common.none": {"zh": "无", "en": "none"},
    # navigation
    "nav.enterprise": {"zh": "我的产品", "en": "My products"},
    "nav.new_model": {"zh": "新建模型", "en": "New model"},
    "nav.review": {"zh": "核查任务", "en": "Review queue"},
    "nav.operator": {"zh": "决定与发证", "en": "Decisions and issuance"},
    "nav.steward": {"zh": "排放因子", "en": "Emission factors"},
    # application states
    "state.draft": {"zh": "草稿", "en": "draft"},
    "state.submitted": {"zh": "已提交", "en": "submitted"},
    "state.document_review": {"zh": "文件审核", "en": "document review"},
    "state.data_verification": {"zh": "数据核查", "en": "data verification"},
    "state.decision": {"zh": "待决定", "en": "awaiting decision"},
    "state.approved": {"zh": "已批准", "en": "approved"},
    "state.rejected": {"zh": "已拒绝", "en": "rejected"},
    "state.issued": {"zh": "已发证", "en": "issued"},
    "state.under_surveillance": {"zh": "监督中", "en": "under surveillance"},
    "state.renewed": {"zh": "已换证", "en": "renewed"},
    "state.suspended": {"zh": "已暂停", "en": "suspended"},
    "state.revoked": {"zh": "已撤销", "en": "revoked"},
    "state.expired": {"zh": "已过期", "en": "expired"},
    "state.superseded": {"zh": "已被取代", "en": "superseded"},
    # label types
    "label.disclosure": {"zh": "碳披露", "en": "disclosure"},
    "label.reduction": {"zh": "碳减排", "en": "reduction"},
    "label.neutrality": {"zh": "碳中和", "en": "neutrality"},
    # the application's page
    "app.state": {"zh": "状态", "en": "State"},
    "app.applicant": {"zh": "申请企业", "en": "Applicant"},
    "app.product": {"zh": "产品编号", "en": "Product id"},
    "app.verifier": {"zh": "核查员", "en": "Verifier"},
    "app.certificate": {"zh": "证书", "en": "Certificate"},
    "app.steps": {"zh": "可执行的操作", "en": "What you can do now"},
    "app.done": {"zh": "已完成", "en": "Done"},
    "app.step.apply": {"zh": "提交申请草稿", "en": "application opened"},
    "app.step.submit": {"zh": "提交申请", "en": "Submit"},
    "app.step.evidence": {"zh": "上传证据", "en": "Add evidence"},
    "app.step.revise": {"zh": "上传新模型版本", "en": "Upload a new model version"},
    "app.step.answer": {"zh": "答复", "en": "Answer"},
    "app.step.start": {"zh": "开始审核", "en": "Start the review"},
    "app.step.pcr-check": {"zh": "运行产品种类规则核查", "en": "Run the PCR check"},
    "app.step.accept": {"zh": "文件齐全，进入数据核查", "en": "Accept the documents"},
    "app.step.finding": {"zh": "提出不符合项", "en": "Raise a finding"},
    "app.step.close": {"zh": "关闭不符合项", "en": "Close finding"},
    "app.step.sign-off": {"zh": "核查签字确认", "en": "Sign off the verification"},
    "app.step.waive": {"zh": "记录因子豁免", "en": "Record the factor waiver"},
    "app.waive_reason": {
        "zh": "草稿、示意或无来源的因子，豁免理由（将载入证书）",
        "en": "Draft, illustrative or unsourced factor; reason for the waiver (printed in the "
        "certificate)",
    },
    # under the factor gate's refusal on the verifier's application page ({form}, {revise}:
    # the names of the waiver and new-version forms, app.step.waive and app.step.revise)
    "app.waive_hint": {
        "zh": "请在本页下方的“{form}”表单中为每个因子填写豁免理由（将载入证书）；"
        "或由申请人通过“{revise}”替换为有来源、已发布的因子。",
        "en": "Use the form “{form}” below on this page: one reason for each factor (printed "
        "in the certificate); or the applicant replaces the factor with a sourced, published "
        "one (“{revise}” on their page of this application).",
    },
    "app.step.surveil": {"zh": "开始监督", "en": "Start surveillance"},
    "app.step.decide": {"zh": "认证决定", "en": "Decision"},
    "app.step.issue": {"zh": "签发证书", "en": "Issue the certificate"},
    "app.step.certificate-event": {"zh": "变更证书状态", "en": "Change the certificate's status"},
    "app.event": {"zh": "证书状态变更", "en": "Status change"},
    "app.event.suspended": {"zh": "暂停", "en": "Suspend"},
    "app.event.reinstated": {"zh": "恢复", "en": "Reinstate"},
    "app.event.revoked": {"zh": "撤销", "en": "Revoke"},
    "app.approve": {"zh": "批准", "en": "Approve"},
    "app.reject": {"zh": "拒绝", "en": "Reject"},
    "app.reason": {"zh": "理由", "en": "Reason"},
    "app.finding_text": {"zh": "不符合项", "en": "Finding"},
    "app.answer_to": {"zh": "答复不符合项", "en": "Answer to finding"},
    "app.answer": {"zh": "企业答复", "en": "Answer"},
    "app.open": {"zh": "未关闭", "en": "open"},
    "app.closed": {"zh": "已关闭", "en": "closed"},
    "app.file.evidence": {
        "zh": "证据文件（电表读数、发票等）",
        "en": "Evidence file (meter readings, invoices)",
    },
    "app.file.revise": {"zh": "模型文件（YAML 或 JSON）", "en": "Model file (YAML or JSON)"},
    "app.result": {"zh": "碳足迹结果", "en": "Footprint result"},
    "app.gases": {"zh": "按温室气体", "en": "By greenhouse gas"},
    "app.gas": {"zh": "气体", "en": "Gas"},
    "app.origin": {"zh": "来源", "en": "Origin"},
    "app.iso_lines": {"zh": "ISO 14067 单独报告项", "en": "ISO 14067 separately reported lines"},
    "app.processes": {
        "zh": "过程直接贡献（前 15）",
        "en": "Direct contributions of processes (top 15)",
    },
    "app.process": {"zh": "过程", "en": "Process"},
    "app.direct": {"zh": "直接", "en": "direct"},
    "app.primary_share": {"zh": "原始数据占比", "en": "Primary data share"},
    "app.mc_iterations": {"zh": "蒙特卡洛次数", "en": "Monte Carlo runs"},
    "app.monte_carlo": {
        "zh": "计算不确定性区间（后台任务）",
        "en": "Compute the uncertainty interval (job)",
    },
    "app.interval": {"zh": "95% 区间（蒙特卡洛）", "en": "95 % interval (Monte Carlo)"},
    "app.mean": {"zh": "均值", "en": "mean"},
    "app.runs": {"zh": "次", "en": "runs"},
    "app.pcr_findings": {"zh": "产品种类规则核查结果", "en": "PCR check findings"},
    "app.pcr_not_checked": {"zh": "尚未核查。", "en": "Not checked yet."},
    "app.pcr_errors": {"zh": "错误 {count} 项", "en": "{count} error(s)"},
    "app.findings": {"zh": "核查不符合项", "en": "Verifier's findings"},
    "app.versions": {"zh": "模型版本", "en": "Model versions"},
    "app.by": {"zh": "操作人", "en": "By"},
    "app.diff": {"zh": "比较", "en": "Compare"},
    "app.model_text": {"zh": "模型文件内容", "en": "Model file"},
    "app.evidence": {"zh": "证据文件", "en": "Evidence"},
    "app.audit": {"zh": "审计记录", "en": "Audit trail"},
    "app.when": {"zh": "时间", "en": "When"},
    "app.action": {"zh": "操作", "en": "Action"},
    "iso.fossil_ghg_emissions": {"zh": "化石温室气体排放", "en": "Fossil GHG emissions"},
    "iso.biogenic_ghg_emissions": {"zh": "生物源温室气体排放", "en": "Biogenic GHG emissions"},
    "iso.biogenic_ghg_removals": {"zh": "生物源温室气体清除", "en": "Biogenic GHG removals"},
    "iso.land_use_change_ghg_emissions": {
        "zh": "土地利用变化排放",
        "en": "Direct land use change GHG emissions",
    },
    "iso.land_management_ghg_emissions": {"zh": "土地管理排放", "en": "Land management emissions"},
    "iso.land_management_ghg_removals": {"zh": "土地管理清除", "en": "Land management removals"},
    "iso.aircraft_ghg_emissions": {"zh": "航空运输排放", "en": "Aircraft GHG emissions"},
    # version diff
    "diff.title": {"zh": "模型版本比较", "en": "Model versions compared"},
    "diff.text": {"zh": "模型文件变化", "en": "Changes in the model file"},
    "diff.result": {"zh": "结果变化", "en": "Changes in the result"},
    "diff.explanation": {"zh": "差异说明", "en": "What moved the difference"},
    "diff.back": {"zh": "返回申请", "en": "Back to the application"},
    # enterprise
    "ent.title": {"zh": "我的产品与申请", "en": "My products and applications"},
    "ent.none": {
        "zh": "还没有申请。新建一个模型并提交认证申请。",
        "en": "No application yet. Build a model and apply.",
    },
    "ent.application": {"zh": "申请", "en": "Application"},
    "ent.total": {"zh": "碳足迹", "en": "Footprint"},
    # bill of materials
    "bom.title": {"zh": "新建产品模型", "en": "New product model"},
    "bom.intro": {
        "zh": "按物料清单逐行填写每个声明单位的投入，获取排放因子建议（含置信度），"
        "接受或更换后计算并提交申请；也可上传 .xlsx 物料清单或 YAML/JSON 模型文件。",
        "en": "List the inputs per declared unit as a bill of materials, get emission factor "
        "suggestions with their confidence, accept or override them, calculate and apply; or "
        "upload an .xlsx bill of materials or a YAML/JSON model file.",
    },
    "bom.product": {"zh": "产品", "en": "Product"},
    "bom.product_id": {"zh": "产品编号", "en": "Product id"},
    "bom.name_zh": {"zh": "中文名称", "en": "Name (Chinese)"},
    "bom.name_en": {"zh": "英文名称", "en": "Name (English)"},
    "bom.unit": {"zh": "单位", "en": "Unit"},
    "bom.boundary": {"zh": "系统边界", "en": "System boundary"},
    "bom.cradle_to_gate": {"zh": "从摇篮到大门", "en": "cradle to gate"},
    "bom.cradle_to_grave": {"zh": "从摇篮到坟墓", "en": "cradle to grave"},
    "bom.geography": {"zh": "地区", "en": "Place"},
    "bom.year": {"zh": "年份", "en": "Year"},
    "bom.rows": {"zh": "物料清单（每声明单位）", "en": "Bill of materials (per declared unit)"},
    "bom.text": {"zh": "物料或活动", "en": "Material or activity"},
    "bom.amount": {"zh": "数量", "en": "Amount"},
    "bom.primary": {"zh": "原始数据", "en": "Primary data"},
    "bom.factor": {"zh": "排放因子", "en": "Emission factor"},
    "bom.override": {"zh": "或输入因子编号", "en": "or type a factor id"},
    "bom.no_suggestion": {"zh": "（先获取建议）", "en": "(ask for suggestions)"},
    "bom.remove": {"zh": "删除", "en": "Remove"},
    "bom.add_row": {"zh": "添加一行", "en": "Add a row"},
    "bom.suggest": {"zh": "获取因子建议", "en": "Suggest factors"},
    "bom.calculate": {"zh": "计算碳足迹", "en": "Calculate"},
    "bom.xlsx": {"zh": "导入 .xlsx 物料清单", "en": "Read an .xlsx bill of materials"},
    "bom.preview": {"zh": "计算结果", "en": "Result"},
    "bom.apply": {"zh": "提交认证申请（草稿）", "en": "Apply (draft application)"},
    "bom.upload": {"zh": "上传模型文件", "en": "Upload a model file"},
    "bom.model_file": {"zh": "模型文件（YAML 或 JSON）", "en": "Model file (YAML or JSON)"},
    "bom.confidence": {"zh": "置信度", "en": "confidence"},
    "bom.accepted": {"zh": "已接受建议", "en": "suggestion accepted"},
    "bom.overridden": {"zh": "已更换建议（将记录）", "en": "suggestion overridden (recorded)"},
    "bom.manual": {"zh": "手动指定因子", "en": "factor chosen by hand"},
    # verifier
    "review.title": {"zh": "核查任务", "en": "Review queue"},
    "review.waiting": {"zh": "等待认证机构受理的申请", "en": "Submitted, waiting for a body"},
    "review.mine": {"zh": "我正在核查的申请", "en": "My applications in review"},
    "review.done": {"zh": "我核查过的申请", "en": "Applications I reviewed"},
    "recheck.title": {"zh": "因子新版本复核清单", "en": "Recheck after a new factor release"},
    "recheck.intro": {
        "zh": "用选定的排放因子版本重新计算已认证产品，列出受影响的证书。",
        "en": "Recompute the certified products with a factor release and list the "
        "certificates it changes.",
    },
    "recheck.run": {"zh": "运行复核（后台任务）", "en": "Run the recheck (job)"},
    "recheck.certified": {"zh": "认证值", "en": "Certified"},
    "recheck.recomputed": {"zh": "重算值", "en": "Recomputed"},
    "recheck.changed": {"zh": "变化的因子", "en": "Factors that changed"},
    # operator
    "operator.title": {"zh": "决定、发证与证书管理", "en": "Decisions, issuance and certificates"},
    "operator.decisions": {"zh": "待决定的申请", "en": "Awaiting a decision"},
    "operator.approved": {"zh": "已批准、待发证", "en": "Approved, to be issued"},
    "operator.certificates": {"zh": "有效与暂停的证书", "en": "Certificates in force or suspended"},
    "operator.bodies": {"zh": "认证机构认可", "en": "Accreditation of certification bodies"},
    "operator.accredited": {"zh": "已认可", "en": "Accredited"},
    "operator.grant": {"zh": "授予认可", "en": "Grant"},
    "operator.withdraw": {"zh": "撤销认可", "en": "Withdraw"},
    "operator.releases": {"zh": "排放因子版本", "en": "Factor releases"},
    "operator.factor_count": {"zh": "因子数", "en": "Factors"},
    # data steward
    "steward.title": {"zh": "排放因子管理", "en": "Emission factors"},
    "steward.search": {"zh": "因子浏览与搜索", "en": "Browse and search factors"},
    "steward.query": {"zh": "关键词（中文或英文）", "en": "Words (Chinese or English)"},
    "steward.factor": {"zh": "因子", "en": "Factor"},
    "steward.source": {"zh": "来源", "en": "Source"},
    "steward.import": {"zh": "导入因子", "en": "Import factors"},
    "steward.file": {"zh": "因子表（.csv 或 .xlsx）", "en": "Factor table (.csv or .xlsx)"},
    "steward.dry_run": {"zh": "试运行（不写入）", "en": "Dry run (nothing written)"},
    "steward.import_job": {"zh": "导入（后台任务）", "en": "Import (job)"},
    "steward.preview_counts": {
        "zh": "共 {rows} 行，可导入 {records} 条记录。",
        "en": "{rows} rows; {records} records would be imported.",
    },
    "steward.problems": {"zh": "发现的问题：", "en": "Problems found:"},
    "steward.queue": {"zh": "待审核因子", "en": "Review queue"},
    "steward.set_status": {"zh": "设置状态", "en": "Set status"},
    "steward.new_release": {"zh": "新版本名称", "en": "New release"},
    "steward.note": {"zh": "说明", "en": "Note"},
    "steward.create_release": {"zh": "创建版本", "en": "Create the release"},
    "steward.diff_from": {"zh": "从", "en": "From"},
    "steward.diff_to": {"zh": "到", "en": "to"},
    "steward.diff_counts": {
        "zh": "新增 {added}，移除 {removed}，版本变化 {changed}，未变 {unchanged}",
        "en": "{added} added, {removed} removed, {changed} re-versioned, {unchanged} unchanged",
    },
    # errors (JSON error titles and the error page)
    "error.title": {"zh": "出错了", "en": "Something went wrong"},
    "error.back": {"zh": "返回首页", "en": "Back to the home page"},
    "error.not_found": {"zh": "未找到", "en": "Not found"},
    "error.method_not_allowed": {"zh": "不允许的请求方法", "en": "Method not allowed"},
    "error.invalid_request": {"zh": "请求无效", "en": "Invalid request"},
    "error.request_too_large": {"zh": "请求过大", "en": "Request too large"},
    "error.internal_error": {"zh": "服务器内部错误", "en": "Internal server error"},
    "error.unauthenticated": {"zh": "需要登录或有效令牌", "en": "Authentication needed"},
    "error.too_many_attempts": {"zh": "尝试次数过多", "en": "Too many attempts"},
    "error.csrf_failed": {"zh": "表单已失效，请刷新后重试", "en": "CSRF check failed"},
    "error.permission_denied": {"zh": "无权执行", "en": "Permission denied"},
    "error.insufficient_scope": {"zh": "令牌权限不足", "en": "Token scope insufficient"},
    "error.http_error": {"zh": "请求错误", "en": "Request error"},
    "error.tanzuji_error": {"zh": "无法完成请求", "en": "The request cannot be carried out"},
    "error.participant_error": {"zh": "机构或用户信息有误", "en": "Organisation or user refused"},
    "error.last_administrator": {"zh": "须保留一位管理员", "en": "The last administrator stays"},
    # the audit trail (/admin/audit; tanzuji.services.audit)
    "audit.title": {"zh": "审计记录", "en": "Audit trail"},
    "audit.intro": {
        "zh": "对用户、API 令牌和机构的每一次管理变更：由谁、何时、从何改为何、理由。"
        "记录与变更在同一事务中写入，不可修改或删除。",
        "en": "Every administrative change to users, API tokens and organisations: who, when, "
        "from what to what, and why. Each is written in the same transaction as its change "
        "and is never updated or deleted.",
    },
    "audit.link": {"zh": "审计记录", "en": "Audit trail"},
    "audit.at": {"zh": "时间（UTC）", "en": "Time (UTC)"},
    "audit.actor": {"zh": "操作人", "en": "By"},
    "audit.action": {"zh": "操作", "en": "Action"},
    "audit.subject": {"zh": "对象", "en": "Subject"},
    "audit.subject_kind": {"zh": "对象类型", "en": "Subject kind"},
    "audit.subject_id": {"zh": "对象编号", "en": "Subject id"},
    "audit.change": {"zh": "变更（前 → 后）", "en": "Change (before → after)"},
    "audit.reason": {"zh": "理由", "en": "Reason"},
    "audit.reason_for": {"zh": "{user} 的更改理由", "en": "Reason for changing {user}"},
    "audit.reason_placeholder": {
        "zh": "理由（记入审计记录）",
        "en": "reason (kept in the audit trail)",
    },
    "audit.since": {"zh": "起始时间（含）", "en": "From (inclusive)"},
    "audit.until": {"zh": "截止时间（不含）", "en": "Until (exclusive)"},
    "audit.any": {"zh": "全部", "en": "any"},
    "audit.filter": {"zh": "筛选", "en": "Filter"},
    "audit.none": {"zh": "没有符合条件的记录。", "en": "No event matches."},
    "audit.count": {"zh": "共 {total} 条", "en": "{total} events"},
    "audit.local_operator": {"zh": "本地操作员（命令行）", "en": "local operator (command line)"},
    "audit.kind.user": {"zh": "用户", "en": "user"},
    "audit.kind.api_token": {"zh": "API 令牌", "en": "API token"},
    "audit.kind.organisation": {"zh": "机构", "en": "organisation"},
    "audit.action.user.create": {"zh": "新增用户", "en": "user created"},
    "audit.action.user.role_change": {"zh": "更改角色或机构", "en": "role or organisation changed"},
    "audit.action.user.deactivate": {"zh": "停用用户", "en": "user deactivated"},
    "audit.action.user.reactivate": {"zh": "重新启用用户", "en": "user reactivated"},
    "audit.action.user.password_set": {"zh": "设置密码", "en": "password set"},
    "audit.action.token.create": {"zh": "创建 API 令牌", "en": "API token created"},
    "audit.action.token.revoke": {"zh": "撤销 API 令牌", "en": "API token revoked"},
    "audit.action.organisation.create": {"zh": "新增机构", "en": "organisation created"},
    "audit.action.organisation.accreditation": {
        "zh": "更改认可状态",
        "en": "accreditation changed",
    },
    # verifier reassignment (application page; keep these keys together)
    "app.step.reassign": {"zh": "更换核查员", "en": "Reassign the verifier"},
    "app.reassign.current": {"zh": "当前核查员", "en": "Current verifier"},
    "app.reassign.to": {"zh": "新核查员", "en": "New verifier"},
    "app.reassign.kept": {
        "zh": "已提出的不符合项、因子豁免和产品种类规则核查结果保留，仍记在原记录人名下。",
        "en": "Findings, factor waivers and the PCR check recorded so far stay, attributed to "
        "who recorded them.",
    },
    "app.reassign.none": {
        "zh": "本认证机构没有其他可接任的核查员（须为在职、未参与编制本申请的核查员）。",
        "en": "No other verifier of this body can take over (an active verifier who did not "
        "prepare this application).",
    },
}


def language_of(request: Request) -> str:
    """The request's language: ``?lang=``, else the ``lang`` cookie, else Chinese."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(COOKIE)
    return cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE


def translate(key: str, language: str, **values: object) -> str:
    """The text of ``key`` in ``language`` (English, then the key itself, when missing)."""
    entry: Mapping[str, str] = MESSAGES.get(key, {})
    text = entry.get(language) or entry.get("en") or key
    return text.format(**values) if values else text


def translate_or(key: str, language: str, default: str) -> str:
    """The text of ``key`` when the catalogue has it, else ``default`` (data values such as
    stage names that may or may not have a translation)."""
    entry = MESSAGES.get(key)
    return (entry.get(language) or entry.get("en") or default) if entry else default


def both(key: str, **values: object) -> dict[str, str]:
    """``{"zh": ..., "en": ...}`` of ``key`` (the bilingual title of a JSON error)."""
    return {language: translate(key, language, **values) for language in LANGUAGES}


__all__ = [
    "COOKIE",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "MESSAGES",
    "both",
    "language_of",
    "translate",
    "translate_or",
]
